"""Registry: units, their mandated places and systems, devices, filing, inspections, findings."""
