"""The shipped Tiny Shakespeare text and its one train/validation split."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from importlib import resources

from chainrule.data import VALIDATION_FRACTION, shakespeare, shakespeare_split


def test_the_text_is_the_published_file() -> None:
    text = shakespeare()
    assert isinstance(text, str)
    assert len(text) == 1_115_394
    assert hashlib.md5(text.encode("ascii")).hexdigest() == "6fb458f1232090904fb40fe944165e91"
    assert len(set(text)) == 65
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")


def test_the_65_characters_are_the_ones_the_docstring_names() -> None:
    """52 letters, space, newline, 10 punctuation marks and the digit 3."""
    chars = set(shakespeare())
    letters = {c for c in chars if c.isalpha()}
    punctuation = chars - letters - {" ", "\n", "3"}
    assert len(letters) == 52 and {" ", "\n", "3"} <= chars
    assert punctuation == set("!$&',-.:;?")


def test_split_is_the_first_ninety_and_last_ten_percent() -> None:
    train, validation = shakespeare_split()
    text = shakespeare()
    assert train + validation == text
    assert len(train) == int(len(text) * 0.9) == 1_003_854  # nanoGPT's int(n * 0.9)
    assert len(validation) == 111_540
    assert VALIDATION_FRACTION == 0.1
    assert len(validation) >= 32_768  # what the GPT chapter scores on


def test_loaded_offline_with_the_standard_library_only() -> None:
    code = (
        "import sys, socket\n"
        "def refuse(*a, **k): raise OSError('no network')\n"
        "socket.socket.connect = refuse\n"
        "from chainrule.data import shakespeare\n"
        "assert len(shakespeare()) == 1_115_394\n"
        "assert 'numpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_data_ships_with_its_attribution() -> None:
    folder = resources.files("chainrule") / "datasets"
    assert (folder / "shakespeare.txt.gz").is_file()
    readme = (folder / "README.md").read_text()
    md5 = "6fb458f1232090904fb40fe944165e91"
    for needed in ("char-rnn", "Karpathy", "public domain", "MIT", md5):
        assert needed in readme


def test_the_wheel_takes_the_file() -> None:
    """pyproject's package-data globs must match the file, or a wheel would lack it."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["chainrule"]
    assert any(fnmatch.fnmatch("datasets/shakespeare.txt.gz", g) for g in globs)
