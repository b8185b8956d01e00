from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from jifang.secrets import CredentialCipher
from jifang.settings import ServiceSettings
from services.registry.storage import DocumentLimits


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", populate_by_name=True)

    service_name: str = "registry"
    port: int = 8001
    # AES-256 key (base64) for device credentials at rest; `make run` generates a dev key.
    credentials_key: SecretStr | None = None
    credentials_key_file: str | None = ".run/registry-credentials.key"
    credentials_key_id: str = "k1"
    # Keys a rotation replaced, by id (JSON: {"k1": "<base64>"}): kept until `python -m
    # services.registry.rekey` has sealed every device's credentials with the current key.
    credentials_previous_keys: dict[str, SecretStr] = Field(default_factory=dict)
    max_material_bytes: int = 20 * 1024 * 1024
    # An uploaded document is opened before it is stored (a PDF as a PDF, an image decoded), in
    # a child process with these limits: a hostile file is refused, never waited for. One parse
    # at a time of at most 384 MiB keeps a replica within its 768 MiB (deploy/k8s); 64 million
    # pixels is an A1 plan scanned at 250 dpi.
    document_max_pdf_pages: int = 2000
    document_max_image_pixels: int = 64_000_000
    document_parse_timeout_s: float = 10.0
    document_parse_memory_bytes: int = 384 * 1024 * 1024
    document_parses_at_once: int = 1
    max_import_bytes: int = 64 * 1024 * 1024
    enrollment_token_ttl_s: int = 24 * 3600
    # Refused enrollment tokens per client address (a platform default): 429 past it.
    enrollment_attempts_per_minute: float = 10.0
    enrollment_attempts_burst: float = 5.0
    heartbeat_check_interval_s: float = 10.0
    metrics_refresh_interval_s: float = 15.0
    outbox_poll_interval_s: float = 0.2
    # Every unit is re-evaluated this often (deadlines pass with time).
    findings_sweep_interval_s: float = 3600.0
    # Retention's results feed the findings (retention short, deleted, interrupted).
    retention_results_group: str = "registry-retention-results"
    # Ingest's device states: outages become suspected interruptions, a changed position or
    # scope a suspected change of position.
    device_state_group: str = "registry-device-state"

    def credentials_cipher(self) -> CredentialCipher:
        previous = {kid: key.get_secret_value() for kid, key in self.credentials_previous_keys.items()}
        return CredentialCipher.from_base64(self.credentials_key_b64(), self.credentials_key_id, previous)

    def document_limits(self) -> DocumentLimits:
        return DocumentLimits(
            max_bytes=self.max_material_bytes,
            max_pdf_pages=self.document_max_pdf_pages,
            max_image_pixels=self.document_max_image_pixels,
            parse_timeout_s=self.document_parse_timeout_s,
            parse_memory_bytes=self.document_parse_memory_bytes,
            parses_at_once=self.document_parses_at_once,
        )

    def credentials_key_b64(self) -> str:
        if self.credentials_key is not None:
            return self.credentials_key.get_secret_value()
        if self.credentials_key_file:
            try:
                with open(self.credentials_key_file, encoding="ascii") as fh:
                    return fh.read().strip()
            except FileNotFoundError:
                pass
        raise RuntimeError(
            "REGISTRY_CREDENTIALS_KEY (or REGISTRY_CREDENTIALS_KEY_FILE) must hold a 32-byte "
            "base64 key: device credentials are encrypted at rest"
        )
