"""Makes the console's Chinese web font: Noto Sans CJK SC cut down to the characters the console can show.

The duty officer's browser is not ours to set up (issue 21): without a Chinese font every character of the console is
a box. So the server serves `/fonts/watershed-cjk.woff2`, which style.css names after the officer's own fonts — a
browser with a Chinese font never fetches it.

The characters: every CJK character and CJK or full-width punctuation mark in the console's own files
(Sources/WatershedServer/Console), in the playbooks and seeds (place, unit and pollutant names, drill scenarios) and in
the Swift sources' code outside comments (the planner's and the report rules' Chinese words: TaskWordsZh,
ReportWordsZh, the grading reasons), except the command line's (WatershedCLI, WatershedClient), which a terminal
draws. WebFontSubsetTests fails when one of them is not in the font's list
(watershed-cjk.txt); run this again then.

Source font: Noto Sans CJK SC Regular, © 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name
'Source'; SIL Open Font License 1.1 (OFL.txt beside the font). Debian's fonts-noto-cjk
(/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, face 2).

Usage: python3 deploy/fonts/subset.py    (needs fonts-noto-cjk, and fonttools and brotli from PyPI)
"""
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Sources" / "WatershedServer" / "Console" / "fonts"
SOURCE = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = 2  # Noto Sans CJK SC in the collection
# CJK ideographs (and extension A), CJK and full-width punctuation, the middle dot, dashes and quotes.
# The command line's own words (WatershedCLI, WatershedClient) print in a terminal, never in the console.
SERVER_SIDE_ONLY = {"WatershedCLI", "WatershedClient"}
CJK = re.compile(r"[\u2E80-\u9FFF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF\u3000-\u303F\u2010-\u2027\u00B7]")


def characters():
    """The characters the console can show, sorted."""
    found = set()
    for path in sorted((ROOT / "Sources" / "WatershedServer" / "Console").glob("*.*")):
        found |= set(CJK.findall(path.read_text(encoding="utf-8")))
    for folder in ("playbooks", "seeds"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            found |= set(CJK.findall(path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        if any(part in SERVER_SIDE_ONLY for part in path.parts):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("//"):
                found |= set(CJK.findall(line))
    return "".join(sorted(found))


def main():
    if not SOURCE.exists():
        sys.exit(f"{SOURCE} is missing: install Debian's fonts-noto-cjk")
    text = characters()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "watershed-cjk.txt").write_text(text + "\n", encoding="utf-8")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt") as chars:
        chars.write(text)
        chars.flush()
        subprocess.run([sys.executable, "-m", "fontTools.subset", str(SOURCE), f"--font-number={FACE}",
                        f"--text-file={chars.name}", "--flavor=woff2", "--layout-features=*", "--no-hinting",
                        "--desubroutinize", "--name-IDs=*", f"--output-file={OUT / 'watershed-cjk.woff2'}"],
                       check=True)
    size = (OUT / "watershed-cjk.woff2").stat().st_size
    print(f"{len(text)} characters, {OUT / 'watershed-cjk.woff2'}: {size} bytes ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
