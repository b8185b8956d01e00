"""The project's own ONVIF device fleet: one process serving many simulated cameras and
NVRs, each on its own loopback port, answering as real devices do (SOAP 1.2,
WS-Security UsernameToken digest, schema-valid responses) and misbehaving on demand."""
