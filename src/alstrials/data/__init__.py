"""The trial as data: schema, validation, scoring, readers, writers and the simulator."""
