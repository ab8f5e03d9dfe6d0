"""The `xorq` command installed by the wheel: the same Rust CLI as `cargo install`."""

import sys

from xorq_rs import _native


def main() -> None:
    sys.exit(_native.cli_main(["xorq", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
