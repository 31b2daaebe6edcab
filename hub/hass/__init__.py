"""Home Assistant MQTT discovery: devices of the halls appear as HA entities (off by default)."""
