"""Replay a labelled dataset as a reviewer screening in the relevance model's order.

    python manage.py simulate_ranking LABELED.csv [--seeds 1,2,3] [--label label_included]
                                      [--retrain-every 10] [--retrain-to-end] [--json]
                                      [--plot FILE.png]

Input: a table with a title and/or an abstract column and a label column (1 relevant, 0
not; also yes/no, true/false, include/exclude; -1, nan, NA or empty for unlabelled),
keywords optional, other columns ignored. CSV (comma, semicolon or tab; UTF-8, UTF-16 or
Windows-1252) or Excel (.xlsx, first sheet). Column names are matched in any case and by the
importer's synonyms ('Title', 'Abstract', 'abstracts'...); without --label the label column
is label_included, else another of ASReview's names (included, final_included, label...).
Empty title/abstract/keywords cells are empty strings; a row with an empty label is counted
as irrelevant (and reported). The protocol and the metrics are described in
screening/simulation.py. Retraining stops once every relevant record has been found (and
10% of the records screened), as in ASReview; the records left follow in the last model's
order. The metrics are the same as with --retrain-to-end, which retrains to the last record.

--json prints one JSON object: {"dataset", "n", "n_relevant", "n_unlabeled", "retrain_every",
"model", "seeds": [{"seed", "order", "wss95", "wss100", "rrf10", "fraction95"}], "mean",
"random"}; "order" lists every row of the file once, as 0-based row indices (header and
blank rows not counted) in the order screened, priors first. "random" holds the expected
figures of random order after the same priors.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from screening.output_files import written_whole
from screening.simulation import (
    DEFAULT_SEEDS,
    LABEL_COLUMN,
    RETRAIN_EVERY,
    LabeledDataError,
    Metrics,
    SimulationResult,
    load_labeled_csv,
    random_recall_curve,
    simulate,
)


def parse_seeds(value: str) -> list[int]:
    try:
        seeds = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise CommandError(
            f"--seeds must be whole numbers separated by commas, not {value!r}."
        ) from None
    if not seeds:
        raise CommandError("--seeds needs at least one seed.")
    if len(set(seeds)) != len(seeds):
        raise CommandError("--seeds has a seed twice.")
    return seeds


def metric_cells(metrics: Metrics) -> list[str]:
    return [
        f"{metrics.wss95:.3f}",
        f"{metrics.wss100:.3f}",
        f"{metrics.rrf10:.1f}%",
        f"{100 * metrics.fraction95:.1f}%",
    ]


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    cells = [headers, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def summary_table(result: SimulationResult) -> str:
    rows = [[str(s.seed), *metric_cells(s.metrics), f"{s.seconds:.1f}"] for s in result.seeds]
    rows.append(["mean", *metric_cells(result.mean), ""])
    rows.append(["random", *metric_cells(result.random), ""])
    headers = ["seed", "WSS@95", "WSS@100", "RRF@10", "screened to 95%", "seconds"]
    return text_table(headers, rows)


def plot_recall(result: SimulationResult, labels, path: Path) -> None:
    """Recall against the share of records screened, per seed, and random order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    n = result.n
    x = np.arange(1, n + 1) / n
    fig, ax = plt.subplots(figsize=(7, 5))
    x = np.concatenate([[0.0], x])
    for seed_result in result.seeds:
        recall = np.cumsum(labels[seed_result.order]) / result.n_relevant
        ax.step(
            x,
            np.concatenate([[0.0], recall]),
            where="post",
            linewidth=1.2,
            label=f"model, seed {seed_result.seed}",
        )
    ax.plot(
        x,
        np.concatenate([[0.0], random_recall_curve(n, result.n_relevant)]),
        color="grey",
        linestyle="--",
        label="random order (expected)",
    )
    ax.axhline(0.95, color="black", linewidth=0.6, linestyle=":")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Share of records screened")
    ax.set_ylabel("Recall (share of relevant records found)")
    ax.set_title(
        f"{result.dataset}: {result.n:,} records, {result.n_relevant:,} relevant\n"
        f"{result.spec.label}, retrained every {result.retrain_every} labels",
        fontsize=10,
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)


class Command(BaseCommand):
    help = "Simulate screening a labelled CSV in relevance-model order and report WSS and RRF."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="LABELED.csv")
        parser.add_argument(
            "--seeds", default=",".join(map(str, DEFAULT_SEEDS)), help="default 1,2,3"
        )
        parser.add_argument(
            "--label",
            default=None,
            help=f"the label column (default {LABEL_COLUMN}, else another of ASReview's names: "
            "included, final_included, label...)",
        )
        parser.add_argument(
            "--retrain-every",
            type=int,
            default=RETRAIN_EVERY,
            metavar="K",
            help=f"retrain after every K labels (default {RETRAIN_EVERY}, as the product)",
        )
        parser.add_argument(
            "--retrain-to-end",
            action="store_true",
            help="keep retraining after the last relevant record is found (same metrics, "
            "slower; only the order of the records left then differs)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--plot", metavar="FILE.png", help="draw the recall curves")

    def handle(self, *args, **options):
        seeds = parse_seeds(options["seeds"])
        if options["retrain_every"] < 1:
            raise CommandError("--retrain-every must be at least 1.")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        plot = Path(options["plot"]) if options["plot"] else None
        # Checked before the simulation, which can take minutes.
        if plot is not None and (plot.is_dir() or not plot.parent.is_dir()):
            reason = "is a folder, not a file name" if plot.is_dir() else "no such folder"
            raise CommandError(f"--plot {plot}: {reason}.")
        try:
            data = load_labeled_csv(path, label=options["label"])
        except LabeledDataError as error:
            raise CommandError(str(error)) from None

        result = simulate(
            data,
            seeds=seeds,
            retrain_every=options["retrain_every"],
            until_all_found=not options["retrain_to_end"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        else:
            self.summary(data, result)
        if plot is not None:
            try:
                with written_whole(plot) as target:
                    plot_recall(result, data.labels, target)
            except OSError as error:
                raise CommandError(f"--plot {plot}: {error.strerror or error}") from None
            if not options["json"]:
                self.stdout.write(f"Wrote {plot}")

    def summary(self, data, result) -> None:
        unlabeled = (
            f"; {data.n_unlabeled:,} rows with an empty label counted as irrelevant"
            if data.n_unlabeled
            else ""
        )
        self.stdout.write(
            f"{data.name}: {data.n:,} records, {data.n_relevant:,} relevant{unlabeled}. "
            f"Model: {result.spec.label}; retrained every {result.retrain_every} labels; "
            f"priors: 1 include + 1 exclude per seed."
        )
        self.stdout.write(summary_table(result))
        self.stdout.write(
            "random = expected values for random order after the same priors. "
            "WSS@r = share of records not screened when recall r is reached, minus (1 - r); "
            "RRF@10 = share of relevant records found after screening 10% of the records."
        )
