"""Settings base shared by every service.

Each service subclasses :class:`ServiceSettings` with its own env prefix
(``REGISTRY_``, ``INGEST_`` ...). The platform-wide names that operators know
from the README (``DATABASE_URL``, ``KAFKA_BOOTSTRAP_SERVERS``) are accepted
without the prefix too. Library code never reads settings itself: it receives
the values.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import CollectorRegistry
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from jifang.auth import TokenVerifier
from jifang.kafka import create_producer
from jifang.logging import LogFormat
from jifang.ratelimit import AUTH_FAILURES, Limit, RateLimits
from jifang.registry_client import RegistryClient


def _aliases(prefix: str, name: str) -> AliasChoices:
    return AliasChoices(f"{prefix}{name}", name)


class ServiceSettings(BaseSettings):
    """Values every service needs. Subclasses set ``model_config`` with their prefix."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "jifang"
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/jifang",
        validation_alias=AliasChoices("database_url", "DATABASE_URL"),
    )
    db_pool_size: int = 10
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("kafka_bootstrap_servers", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    # Idempotence is on against Apache Kafka; the local Tansu broker refuses InitProducerId.
    kafka_enable_idempotence: bool = Field(
        default=False,
        validation_alias=AliasChoices("kafka_enable_idempotence", "KAFKA_ENABLE_IDEMPOTENCE"),
    )
    kafka_compression: str = "gzip"
    # Token verification: a PEM public key, or a JWKS URL.
    jwt_public_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("jwt_public_key", "JWT_PUBLIC_KEY")
    )
    jwt_public_key_file: str | None = Field(
        default=".run/dev-signing-key.pub.pem",
        validation_alias=AliasChoices("jwt_public_key_file", "JWT_PUBLIC_KEY_FILE"),
    )
    jwks_url: str | None = Field(default=None, validation_alias=AliasChoices("jwks_url", "JWKS_URL"))
    jwt_audience: str = "jifang"
    jwt_issuer: str = "jifang-dev"
    # How `python -m services.<name>` serves ({PREFIX}HOST, {PREFIX}PORT, {PREFIX}WORKERS,
    # {PREFIX}LOG_LEVEL); each service sets its own default port.
    host: str = "127.0.0.1"
    port: int
    workers: int = 1
    log_level: str = "INFO"
    # One format for the whole platform: `auto` is readable in a terminal, JSON elsewhere.
    log_format: LogFormat = Field(default="auto", validation_alias=AliasChoices("log_format", "LOG_FORMAT"))
    max_body_bytes: int = 1_048_576
    # Failed authentications per client address (a platform default; 0: none): 429 past it.
    auth_failures_per_minute: float = Field(
        default=30.0,
        validation_alias=AliasChoices("auth_failures_per_minute", "AUTH_FAILURES_PER_MINUTE"),
    )
    auth_failures_burst: float = 20.0

    def kafka_producer(self, client_id: str) -> AIOKafkaProducer:
        """A producer as the platform is configured (broker, compression, idempotence)."""
        return create_producer(
            self.kafka_bootstrap_servers,
            enable_idempotence=self.kafka_enable_idempotence,
            compression_type=self.kafka_compression,
            client_id=client_id,
        )

    def kafka_group_consumer(
        self, group_id: str, *, from_start: bool = True, **options: Any
    ) -> AIOKafkaConsumer:
        """A consumer in a group that commits its offsets itself (after the database commit)
        and starts, the first time, from the earliest message the topic holds (``from_start``)
        or from the newest."""
        return AIOKafkaConsumer(
            bootstrap_servers=self.kafka_bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if from_start else "latest",
            **options,
        )

    def rate_limits(self, registry: CollectorRegistry, **own: Limit) -> RateLimits:
        """The limits every service applies (failed authentications), and the service's own."""
        limits = {AUTH_FAILURES: Limit(self.auth_failures_per_minute, self.auth_failures_burst), **own}
        return RateLimits(registry, self.service_name, limits)

    def token_verifier(self) -> TokenVerifier:
        """Verifies the bearer tokens this service is called with."""
        return TokenVerifier(
            audience=self.jwt_audience,
            issuer=self.jwt_issuer,
            public_key_pem=self.public_key_pem(),
            jwks_url=self.jwks_url,
        )

    def public_key_pem(self) -> str | None:
        if self.jwt_public_key is not None:
            return self.jwt_public_key.get_secret_value()
        if self.jwt_public_key_file:
            try:
                with open(self.jwt_public_key_file, encoding="ascii") as fh:
                    return fh.read()
            except FileNotFoundError:
                return None
        return None


class RegistryReaderSettings(ServiceSettings):
    """A service that reads the registry's views (fleet, cameras, credentials) with a token of
    the role ``service``."""

    registry_url: str = "http://127.0.0.1:8001"
    service_token: SecretStr | None = None

    def registry_client(self, timeout_s: float = 10.0) -> RegistryClient:
        if self.service_token is None:
            prefix = self.model_config.get("env_prefix", "")
            raise RuntimeError(f"{prefix}SERVICE_TOKEN must hold a token with the role `service`")
        return RegistryClient(self.registry_url, self.service_token.get_secret_value(), timeout_s=timeout_s)
