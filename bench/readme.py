"""Put the latest benchmark table into README's Benchmarks section, between markers, leaving the rest alone."""

from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def replace_section(readme: str, table: str, command: str) -> str:
    """README text with the block between the markers replaced (appended at the end when missing)."""
    block = f"{START}\nLatest run, printed by `{command}`:\n\n{table.rstrip()}\n{END}"
    if START in readme and END in readme:
        before, rest = readme.split(START, 1)
        return before + block + rest.split(END, 1)[1]
    return readme.rstrip() + "\n\n" + block + "\n"


def update_readme(path: Path, table: str, command: str) -> None:
    path.write_text(replace_section(path.read_text(), table, command))
