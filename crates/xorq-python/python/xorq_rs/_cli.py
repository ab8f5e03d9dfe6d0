"""The `xorq` command installed by the wheel: the same Rust CLI as `cargo install`."""

import os
import sys

from xorq_rs import _native


def main() -> None:
    # `xorq build script.py` runs scripts under the interpreter this command was installed
    # with, which has this package.
    os.environ.setdefault("XORQ_PYTHON", sys.executable)
    sys.exit(_native.cli_main(["xorq", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
