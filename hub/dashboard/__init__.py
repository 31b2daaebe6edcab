"""The operator dashboard: server-rendered pages (Jinja2 + HTMX + SSE), zh-CN first."""
