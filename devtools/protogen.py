"""Generate the event classes in ``jifang/v1`` from ``proto/`` (``make proto``).

The proto package ``jifang.v1`` lands as the Python package ``jifang.v1``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"


def generate(out_dir: Path) -> list[Path]:
    sources = sorted(PROTO_DIR.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        *[str(s) for s in sources],
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed")
    return sorted(p for p in (out_dir / "jifang" / "v1").iterdir() if p.suffix in {".py", ".pyi"})


def main() -> int:
    generated = generate(ROOT)
    init = ROOT / "jifang" / "v1" / "__init__.py"
    if not init.exists():
        init.write_text('"""Event classes generated from proto/ by `make proto`: do not edit."""\n')
    for path in generated:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
