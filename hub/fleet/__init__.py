"""Fleet: device registry, health, alerts, opening check (rules DEV-1..DEV-4), config versions."""
