"""Loaded by the registry's schemathesis run (SCHEMATHESIS_HOOKS): filing materials are raw
PDF, PNG or JPEG bodies; schemathesis sends PNG and JPEG files of their own, and a PDF body as
the bytes it generates (the registry answers 415 when they are not a PDF)."""

import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")
