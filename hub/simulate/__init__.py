"""Fleet simulator: a compressed working day of many generated halls through the real edge runtime.

`layout` generates hall layouts in memory, `plan` draws the day's actions (pure, seeded),
`clock` maps real time to simulated time, `devices` plays a plan on real edge agents (one
process per group of halls), `run` composes hub + broker + device processes and `report`
counts what the hub stored and derived.
"""
