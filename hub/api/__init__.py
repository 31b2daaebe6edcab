"""The hub's HTTP API (FastAPI): create_app() builds it; each area adds its routers."""
