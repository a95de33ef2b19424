"""One settings object for every command and the service (environment prefix ``CLAIMS_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where data and models live, and which encoder is the default.

    Several instances can run side by side by giving each its own ``CLAIMS_DATA_DIR``
    (and, if they must not share prepared models, ``CLAIMS_MODELS_DIR``).
    """

    model_config = SettingsConfigDict(env_prefix="CLAIMS_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("var"), description="SQLite files, indexes, stored uploads")
    models_dir: Path = Field(Path("models/artifacts"), description="converted and trained models")
    encoder: str = Field("e5-small", description="default encoder: a registered name or a folder")
    e5_backend: str = Field("auto", description="e5 runtime: auto (ONNX when exported), onnx or torch")
    classify_encoder: str = Field(
        "e5-small-int8", description="encoder the category profiles are trained with (prepare, train, eval)"
    )
    doctype_encoder: str = Field(
        "e5-small-int8", description="encoder the document-type model fuses with its n-grams; none = n-grams only"
    )
    search_adapter: str = Field(
        "auto",
        description="query adapter: auto (the index's own, else the shipped one where half the library's "
        "decisions are of the categories it was trained on), shipped (the index's own, else the shipped one "
        "for any library) or none",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "INFO"
    # Ingest limits: a file over any of them gets a per-file error, the rest of the package goes on.
    max_file_bytes: int = Field(50 * 2**20, ge=1, description="largest accepted file")
    max_pages: int = Field(300, ge=1, description="most pages read from one file")
    max_pixels: int = Field(60_000_000, ge=1, description="largest image (decompression-bomb guard)")
    ocr_timeout_s: float = Field(60.0, gt=0, description="time limit for the OCR of one page")
    ocr_workers: int = Field(0, ge=0, description="parallel OCR processes; 0 = one per core")
    # Service limits.
    max_request_bytes: int = Field(200 * 2**20, ge=1, description="largest request body")
    max_files: int = Field(50, ge=1, description="most files in one package")
    rate_limit_per_minute: int = Field(600, ge=1, description="requests per minute per API key")
    similar_k: int = Field(5, ge=0, le=50, description="similar decisions in a package report")
    library_wait_s: float = Field(
        10.0, ge=0, description="service: how long a decision write waits while another process writes the library"
    )
    log_json: bool = Field(True, description="service logs as JSON lines (personal data masked)")

    @field_validator("data_dir", "models_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.models_dir.mkdir(parents=True, exist_ok=True)


def get_settings() -> Settings:
    """Read the settings from the environment now (cheap; not cached, so tests can change env)."""
    return Settings()
