"""The benches' ``--json [PATH]`` option, in one place: no PATH prints only the JSON document on stdout (for
scripts); a PATH writes it there and the bench still prints its table. The options shared by the benches that
read the shared human corpora out of fold (`human_voices_parser`), and the condition-by-judge table several
benches print (`judge_table`), and ``--data`` for the benches over the shared corpora (`data_parser`, and `data_bench`: such a bench's whole
``main``)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_json_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                    help="write the figures as JSON to PATH (no PATH: print only the JSON on stdout)")


def emit_json(doc, where: str | None) -> bool:
    """Send ``doc`` where ``--json`` says; True when it went to stdout (the caller then prints nothing else)."""
    if where == "-":
        print(json.dumps(doc))
        return True
    if where:
        Path(where).write_text(json.dumps(doc, indent=1))
    return False


def data_parser(doc: str) -> argparse.ArgumentParser:
    """``--data`` (the shared corpora, `critics.training.default_data`) and ``--json`` for a bench over them
    (``doc``: the bench's module docstring, whose first line is the description); a bench adds its own options."""
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--data", type=Path, default=default_data())
    add_json_option(ap)
    return ap


def data_bench(doc: str, run, show) -> int:
    """The whole ``main`` of a bench over the shared corpora whose figures one function makes: ``run(data)`` gives
    them, ``--json`` sends them as JSON (`emit_json`), and else (or as well, with a PATH) ``show(figures)`` prints
    them. Three benches had this ``main`` written out alike."""
    args = data_parser(doc).parse_args()
    res = run(args.data)
    if not emit_json(res, args.json):
        show(res)
    return 0


def judge_table(title: str, rows: dict[str, dict], cell: str = "{:>9}") -> None:
    """``rows`` ({condition: {judge: figure}}) as a table under ``title``, one column per judge."""
    judges = list(next(iter(rows.values())))
    print(title)
    print(f"  {'condition':36s} " + "  ".join(f"{j:>9s}" for j in judges))
    for name, row in rows.items():
        print(f"  {name:36s} " + "  ".join(cell.format(row[j]) for j in judges))


def human_voices_parser(doc: str) -> argparse.ArgumentParser:
    """``--data``, ``--workers`` and ``--json`` for a bench over the shared human speech corpora (``doc``: the
    bench's module docstring, whose first paragraph is the description)."""
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=root.parent / "shared" / "data")
    ap.add_argument("--workers", type=int, default=2, help="processes for the encoder's vectors (first run only)")
    add_json_option(ap)
    return ap
