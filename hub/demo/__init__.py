"""The demo hall: a hub, a broker and every simulated device of firmware_cfg/halls/demo."""
