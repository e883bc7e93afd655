"""The relevance model, the screening simulation and the simulate_ranking command.

The fixture tests/data/labeled/toy_statins.csv is synthetic: 40 records, 8 relevant (statin
trials) and 32 on four unrelated topics; two abstracts are empty, some keywords are empty, and
rows 10 and 34 (line 11 and 35) have an empty label.
"""

import csv
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from screening.ranking import (
    CLASSIFIERS,
    DEFAULT_FEATURES,
    DEFAULT_SPEC,
    FIELD_SEPARATOR,
    USE_KEYWORDS,
    FeatureSpec,
    ModelSpec,
    RelevanceModel,
    build_matrix,
    record_text,
    sample_weights,
    split_fields,
)
from screening.simulation import (
    LabeledDataError,
    load_labeled_csv,
    metrics_for_order,
    priors,
    random_order_metrics,
    simulate,
    simulate_order,
)

TOY = Path(__file__).resolve().parent.parent / "data" / "labeled" / "toy_statins.csv"

RELEVANT = [
    "Atorvastatin lowers LDL cholesterol: a randomised trial in adults",
    "Simvastatin therapy and myocardial infarction in cardiovascular disease",
    "Statin therapy reduced cardiovascular events in a randomised trial",
]
IRRELEVANT = [
    "Phonics instruction and reading in primary school children",
    "Nitrogen fertiliser and maize yield under irrigation",
    "Code review and continuous integration in open source repositories",
    "Coral reef fish biodiversity under ocean warming",
    "Vocabulary teaching in the literacy classroom",
]


SEP = FIELD_SEPARATOR


def test_record_text_keeps_three_fields_and_split_fields_reads_them_back():
    assert record_text(" Title ", "Abstract.", "a; b", use_keywords=True) == (
        f"Title{SEP}Abstract.{SEP}a; b"
    )
    assert record_text("Title", "", None, use_keywords=True) == f"Title{SEP}{SEP}"
    assert record_text(None, "  ", "k", use_keywords=True) == f"{SEP}{SEP}k"
    assert record_text("Title", "Abstract.", "a; b", use_keywords=False) == (
        f"Title{SEP}Abstract.{SEP}"
    )
    # A separator inside a field cannot shift the fields.
    assert record_text(f"A{SEP}B", "C", "", use_keywords=True) == f"A B{SEP}C{SEP}"
    assert split_fields(f"Title{SEP}Abstract.{SEP}a; b") == ("Title", "Abstract.", "a; b")
    assert split_fields("Just text") == ("", "Just text", "")


def test_record_text_keywords_by_default_as_chosen():
    assert DEFAULT_FEATURES.uses_keywords == USE_KEYWORDS
    expected = f"T{SEP}A{SEP}k" if USE_KEYWORDS else f"T{SEP}A{SEP}"
    assert record_text("T", "A", "k") == expected


def test_build_matrix_has_a_row_per_text_and_bigrams():
    plain = FeatureSpec(title_weight=0.0, keyword_weight=0.0)
    vectorizer, matrix = build_matrix(RELEVANT + IRRELEVANT, plain)
    assert matrix.shape[0] == 8
    assert matrix.dtype == np.float32
    assert "statin therapy" in vectorizer.vocabulary_
    assert "therapy" in vectorizer.vocabulary_
    assert matrix.shape[1] == len(vectorizer.vocabulary_)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    assert np.allclose(norms, 1.0, atol=1e-6)


def test_build_matrix_title_and_keyword_blocks_are_weighted():
    features = FeatureSpec(title_weight=0.5, keyword_weight=0.25)
    texts = [
        record_text(
            "Statin trial", "Atorvastatin lowers LDL", "Statins; Humans", use_keywords=True
        ),
        record_text("Reading", "Phonics in school", "Humans", use_keywords=True),
        record_text("Maize", "Nitrogen and yield", "", use_keywords=True),
    ]
    vectorizer, matrix = build_matrix(texts, features)
    n_text = len(vectorizer.text.vocabulary_)
    n_title = len(vectorizer.title.vocabulary_)
    n_keywords = len(vectorizer.keywords.vocabulary_)
    assert matrix.shape == (3, n_text + n_title + n_keywords)
    # Keywords are unigrams only (in the product they arrive joined by spaces).
    assert sorted(vectorizer.keywords.vocabulary_) == ["humans", "statins"]
    dense = matrix.toarray()

    def block_norms(start, stop):
        return np.sqrt((dense[:, start:stop] ** 2).sum(axis=1))

    assert np.allclose(block_norms(0, n_text), 1.0, atol=1e-6)
    assert np.allclose(block_norms(n_text, n_text + n_title), 0.5, atol=1e-6)
    assert np.allclose(block_norms(n_text + n_title, None), [0.25, 0.25, 0.0], atol=1e-6)
    # Keywords are not in the main block unless keywords_in_text.
    assert "humans" not in vectorizer.vocabulary_
    # transform() gives the same rows as fit_transform().
    assert np.allclose(vectorizer.transform(texts).toarray(), dense, atol=1e-6)


def test_build_matrix_leaves_out_empty_blocks():
    features = FeatureSpec(title_weight=0.5, keyword_weight=0.25)
    vectorizer, matrix = build_matrix(RELEVANT + IRRELEVANT, features)  # no title, keywords
    assert vectorizer.title is None and vectorizer.keywords is None
    assert matrix.shape[1] == len(vectorizer.vocabulary_)
    in_text = FeatureSpec(title_weight=0.0, keyword_weight=0.0, keywords_in_text=True)
    vectorizer, _ = build_matrix([record_text("T", "A", "Humans", use_keywords=True)], in_text)
    assert "humans" in vectorizer.vocabulary_


def test_feature_spec_without_keywords_and_label():
    assert FeatureSpec(0.2, 0.1).without_keywords() == FeatureSpec(0.2, 0.0)
    assert FeatureSpec(0.2, 0.1).label == "title + abstract, title block x0.2, keyword block x0.1"
    assert FeatureSpec(0.0, 0.0, ngram_max=1).label == "title + abstract, ngram_max=1"


def test_relevance_model_fit_and_score_texts_ranks_relevant_first():
    train = [RELEVANT[0], RELEVANT[1], IRRELEVANT[0], IRRELEVANT[1]]
    model = RelevanceModel().fit(train, [1, 1, 0, 0])
    # The vectorizer was fitted on the training texts: new words are ignored.
    new = [IRRELEVANT[2], RELEVANT[2], IRRELEVANT[3], "Simvastatin and LDL", IRRELEVANT[4]]
    scores = model.score(new)
    assert scores.shape == (5,)
    assert scores.dtype == np.float64
    assert min(scores[[1, 3]]) > max(scores[[0, 2, 4]])


@pytest.mark.parametrize("classifier", CLASSIFIERS)
def test_relevance_model_on_matrix_every_classifier_ranks_the_toy(classifier):
    data = load_labeled_csv(TOY)
    _, matrix = build_matrix(data.texts)
    labelled = np.array([2, 0, 1, 7, 3, 4])  # rows 2 and 7 relevant
    model = RelevanceModel(ModelSpec(classifier, 1.0 if classifier != "sgd" else 1e-4))
    model.fit(matrix[labelled], data.labels[labelled])
    scores = model.score(matrix)
    assert scores.shape == (data.n,)
    rest = np.setdiff1d(np.arange(data.n), labelled)
    relevant, irrelevant = rest[data.labels[rest] == 1], rest[data.labels[rest] == 0]
    assert scores[relevant].min() > scores[irrelevant].max()


def test_relevance_model_needs_both_classes():
    with pytest.raises(ValueError, match="at least one include and one exclude"):
        RelevanceModel().fit(RELEVANT, [1, 1, 1])


def test_relevance_model_score_before_fit():
    with pytest.raises(ValueError, match="Fit the model"):
        RelevanceModel().score(RELEVANT)


def test_relevance_model_fitted_on_matrix_cannot_score_texts():
    _, matrix = build_matrix(RELEVANT + IRRELEVANT)
    model = RelevanceModel().fit(matrix, [1, 1, 1, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="score a matrix too"):
        model.score(RELEVANT)


def test_relevance_model_pair_averages_the_distances_to_the_hyperplanes():
    data = load_labeled_csv(TOY)
    _, matrix = build_matrix(data.texts)
    labelled = np.array([2, 0, 1, 7, 3, 4])
    first, second = ModelSpec("svm_hinge", 0.1, 10.0), ModelSpec("svm", 1.0, 1.0)
    pair = RelevanceModel(ModelSpec("svm_hinge", 0.1, 10.0, plus=second))
    pair.fit(matrix[labelled], data.labels[labelled])
    assert len(pair.classifiers) == 2
    expected = 0
    for spec in (first, second):
        single = RelevanceModel(spec).fit(matrix[labelled], data.labels[labelled])
        distance = single.score(matrix) / np.linalg.norm(single.classifier.coef_)
        expected = expected + distance / 2
    scores = pair.score(matrix)
    assert np.allclose(scores, expected)
    # The score of a record does not depend on which other records are scored with it.
    assert np.allclose(pair.score(matrix[5:9]), scores[5:9])
    assert pair.spec.label == (
        "SVM (hinge) C=0.1, include weight 10 + SVM (squared hinge) C=1, include weight 1"
    )


def test_model_spec_pairs_only_linear_classifiers():
    with pytest.raises(ValueError, match="only among svm, svm_hinge, logistic"):
        ModelSpec("svm_hinge", plus=ModelSpec("nb", 1.0))
    with pytest.raises(ValueError, match="At most two"):
        ModelSpec("svm", plus=ModelSpec("svm", plus=ModelSpec("svm")))


def test_model_spec_rejects_unknown_classifier():
    with pytest.raises(ValueError, match="Unknown classifier 'forest'"):
        ModelSpec("forest")


def test_sample_weights_balance_the_classes():
    labels = np.array([1, 0, 0, 0])
    balanced = sample_weights(labels, 1.0)
    assert balanced.mean() == pytest.approx(1.0)
    assert balanced[0] == pytest.approx(balanced[1:].sum())
    tenfold = sample_weights(labels, 10.0)
    assert tenfold[0] == pytest.approx(10 * tenfold[1:].sum())


def test_load_labeled_csv_counts_empty_labels_as_irrelevant():
    data = load_labeled_csv(TOY, keywords=True)
    assert data.name == "toy_statins"
    assert data.n == 40
    assert data.n_relevant == 8
    assert data.n_unlabeled == 2
    assert data.labels[9] == 0 and data.labels[33] == 0
    with TOY.open(newline="", encoding="utf-8") as handle:
        row = list(csv.DictReader(handle))[11]
    assert row["abstract"] == ""
    assert data.texts[11] == f"{row['title']}{SEP}{SEP}{row['keywords']}"
    assert load_labeled_csv(TOY, keywords=False).texts[11] == f"{row['title']}{SEP}{SEP}"


def test_load_labeled_csv_missing_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("doi,label_included\n10.1/a,1\n")
    with pytest.raises(
        LabeledDataError,
        match="bad.csv: missing column\\(s\\) title or abstract; columns are doi, label_included",
    ):
        load_labeled_csv(path)
    path.write_text("title,abstract,decision\nA,,1\n")
    with pytest.raises(LabeledDataError, match="missing column\\(s\\) label_included;"):
        load_labeled_csv(path)
    with pytest.raises(LabeledDataError, match="missing column\\(s\\) verdict;"):
        load_labeled_csv(path, label="verdict")


def _rows_of(data):
    return [(text, int(label)) for text, label in zip(data.texts, data.labels, strict=True)]


def _toy_rows():
    with TOY.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_load_labeled_csv_reads_other_layouts_as_the_same_data(tmp_path):
    """Capitalised and synonym headers, ASReview's other label names and values, ';' and tab
    delimiters, UTF-16 and Windows-1252, and Excel: the same texts and labels as ASReview's
    own layout."""
    from openpyxl import Workbook

    expected = _rows_of(load_labeled_csv(TOY))
    rows = _toy_rows()
    header = ["Article Title", "Abstracts", "Keywords", "Included"]

    def cells(row, suffix=""):
        label = {"1": "yes", "0": "no", "": "NA"}[row["label_included"]]
        return [row["title"] + suffix, row["abstract"], row["keywords"], label]

    # A title with 'café – naïve' in each file: read back whatever the file's encoding.
    suffix = " caf\u00e9 \u2013 na\u00efve"
    expected = [
        (record_text(row["title"] + suffix, row["abstract"], row["keywords"]), label)
        for row, (_, label) in zip(rows, expected, strict=True)
    ]
    layouts = {
        "semicolon.csv": (";", "utf-8"),
        "tab.tsv": ("\t", "utf-16"),
        "excel.csv": (",", "cp1252"),
    }
    for name, (delimiter, encoding) in layouts.items():
        path = tmp_path / name
        with path.open("w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(header)
            writer.writerows(cells(row, suffix) for row in rows)
        data = load_labeled_csv(path)
        assert _rows_of(data) == expected, name
        assert (data.n, data.n_relevant, data.n_unlabeled) == (40, 8, 2)
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(cells(row, suffix))
    book.save(tmp_path / "sheet.xlsx")
    assert _rows_of(load_labeled_csv(tmp_path / "sheet.xlsx")) == expected


def test_load_labeled_csv_title_only_and_unlabelled_values(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text("Title,label_included\nA trial,1\nA cohort,0\nA case,-1\nA rat,nan\n")
    data = load_labeled_csv(path)
    assert (data.n, data.n_relevant, data.n_unlabeled) == (4, 1, 2)
    assert data.labels.tolist() == [1, 0, 0, 0]


def test_load_labeled_csv_refuses_reference_files_and_broken_csv(tmp_path):
    path = tmp_path / "refs.ris"
    path.write_text("TY  - JOUR\nTI  - A trial\nER  - \n")
    with pytest.raises(LabeledDataError, match="refs.ris is a ris file, not a table"):
        load_labeled_csv(path)
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(LabeledDataError, match="empty.csv: the file is empty"):
        load_labeled_csv(path)


def test_load_labeled_csv_bad_label_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("title,abstract,label_included\nA,,1\nB,,maybe\n")
    with pytest.raises(LabeledDataError, match="Line 3: label_included is 'maybe'"):
        load_labeled_csv(path)


def test_load_labeled_csv_needs_both_classes(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("title,abstract,label_included\nA,,0\nB,,\n")
    with pytest.raises(LabeledDataError, match="0 of 2 are relevant"):
        load_labeled_csv(path)


def test_simulate_order_is_a_permutation_with_priors_first_and_deterministic():
    data = load_labeled_csv(TOY)
    _, matrix = build_matrix(data.texts)
    order = simulate_order(matrix, data.labels, seed=1, retrain_every=10)
    assert sorted(order.tolist()) == list(range(data.n))
    include, exclude = priors(data.labels, 1)
    assert order[:2].tolist() == [include, exclude]
    assert data.labels[include] == 1 and data.labels[exclude] == 0
    again = simulate_order(matrix, data.labels, seed=1, retrain_every=10)
    assert again.tolist() == order.tolist()


def test_simulate_order_finds_the_toy_relevant_records_first():
    data = load_labeled_csv(TOY)
    _, matrix = build_matrix(data.texts)
    for seed in (1, 2, 3):
        order = simulate_order(matrix, data.labels, seed=seed, retrain_every=10)
        # The 7 other relevant records are the first 7 after the two priors.
        assert data.labels[order[2:9]].tolist() == [1] * 7


def test_simulate_order_first_batch_comes_from_the_model_trained_on_the_priors():
    data = load_labeled_csv(TOY)
    _, matrix = build_matrix(data.texts)
    order = simulate_order(matrix, data.labels, seed=2, retrain_every=10)
    first = order[:2]
    model = RelevanceModel(DEFAULT_SPEC).fit(matrix[first], data.labels[first])
    rest = np.setdiff1d(np.arange(data.n), first)
    expected = rest[np.argsort(-model.score(matrix[rest]), kind="stable")[:10]]
    assert order[2:12].tolist() == expected.tolist()


def test_simulate_order_until_all_found_gives_the_same_metrics():
    data = load_labeled_csv(TOY)
    _, matrix = build_matrix(data.texts)
    full = simulate_order(matrix, data.labels, seed=3, retrain_every=5)
    short = simulate_order(matrix, data.labels, seed=3, retrain_every=5, until_all_found=True)
    assert sorted(short.tolist()) == list(range(data.n))
    assert metrics_for_order(data.labels[short]) == metrics_for_order(data.labels[full])


def test_simulate_reports_metrics_in_range_per_seed():
    data = load_labeled_csv(TOY)
    result = simulate(data, seeds=(1, 2, 3))
    assert [s.seed for s in result.seeds] == [1, 2, 3]
    for seed_result in result.seeds:
        metrics = seed_result.metrics
        assert -0.05 <= metrics.wss95 <= 0.95
        assert 0 <= metrics.wss100 <= 1
        assert 0 <= metrics.rrf10 <= 100
        assert 0 < metrics.fraction95 <= 1
    # 8 relevant among 40, found first: 95% recall (8 records) after 9 screened at worst.
    assert result.mean.wss100 >= (40 - 9) / 40
    assert result.mean.wss95 > result.random.wss95


def test_metrics_for_order_by_hand():
    labels = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]  # N = 10, R = 2
    metrics = metrics_for_order(labels)
    # 95% recall needs ceil(1.9) = 2 relevant: reached after 3 records.
    assert metrics.wss95 == pytest.approx(7 / 10 - 0.05)
    assert metrics.wss100 == pytest.approx(7 / 10)
    assert metrics.fraction95 == pytest.approx(3 / 10)
    assert metrics.rrf10 == pytest.approx(50.0)  # 1 of 2 found in the first ceil(1.0) = 1


def test_metrics_for_order_wss95_is_not_wss100_with_many_relevant():
    labels = [1] * 19 + [0] * 80 + [1]  # R = 20: 95% recall = 19 found, after 19 records
    metrics = metrics_for_order(labels)
    assert metrics.wss95 == pytest.approx(81 / 100 - 0.05)
    assert metrics.wss100 == pytest.approx(0.0)
    assert metrics.rrf10 == pytest.approx(50.0)  # 10 of 20 in the first 10


def test_random_order_metrics_by_hand():
    # N = 6, R = 2, priors: 1 include + 1 exclude, then 4 records holding 1 relevant,
    # which turns up on average at position (4 + 1) / 2 = 2.5: 4.5 screened in all.
    metrics = random_order_metrics(6, 2)
    assert metrics.wss100 == pytest.approx((6 - 4.5) / 6)
    assert metrics.wss95 == pytest.approx((6 - 4.5) / 6 - 0.05)
    assert metrics.fraction95 == pytest.approx(4.5 / 6)
    assert metrics.rrf10 == pytest.approx(50.0)  # ceil(0.6) = 1 record: the prior include


def test_random_order_wss100_is_about_zero_on_large_data():
    metrics = random_order_metrics(100_000, 1_000)
    assert metrics.wss100 == pytest.approx(0.0, abs=0.002)
    assert metrics.rrf10 == pytest.approx(10.0, abs=0.1)


def run_command(*args) -> str:
    out = StringIO()
    call_command("simulate_ranking", *args, stdout=out)
    return out.getvalue()


def test_command_json_contract():
    output = run_command(str(TOY), "--seeds", "1,2", "--json")
    assert output.count("\n") <= 1
    payload = json.loads(output)
    assert payload["dataset"] == "toy_statins"
    assert payload["n"] == 40
    assert payload["n_relevant"] == 8
    assert payload["n_unlabeled"] == 2
    assert [s["seed"] for s in payload["seeds"]] == [1, 2]
    labels = load_labeled_csv(TOY).labels
    for seed in payload["seeds"]:
        assert set(seed) >= {"seed", "order", "wss95", "wss100", "rrf10"}
        assert sorted(seed["order"]) == list(range(40))
        assert list(seed["order"][:2]) == list(priors(labels, seed["seed"]))
    for key in ("wss95", "wss100", "rrf10"):
        assert payload["mean"][key] == pytest.approx(sum(s[key] for s in payload["seeds"]) / 2)
    assert set(payload["random"]) == {"wss95", "wss100", "rrf10", "fraction95"}


def test_command_json_is_deterministic():
    assert run_command(str(TOY), "--seeds", "3", "--json") == run_command(
        str(TOY), "--seeds", "3", "--json"
    )


def test_command_human_output_and_plot(tmp_path):
    plot = tmp_path / "recall.png"
    output = run_command(str(TOY), "--plot", str(plot))
    assert output.startswith("toy_statins: 40 records, 8 relevant; 2 rows with an empty label")
    lines = output.splitlines()
    assert [line.split()[0] for line in lines[3:8]] == ["1", "2", "3", "mean", "random"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert lines[-1] == f"Wrote {plot}"


def test_command_checks_the_plot_path_before_simulating(tmp_path, monkeypatch):
    import screening.management.commands.simulate_ranking as command

    monkeypatch.setattr(command, "simulate", lambda *a, **k: pytest.fail("simulated"))
    with pytest.raises(CommandError, match=f"--plot {tmp_path}/no/r.png: no such folder."):
        run_command(str(TOY), "--plot", str(tmp_path / "no" / "r.png"))
    with pytest.raises(CommandError, match=f"--plot {tmp_path}: is a folder, not a file name."):
        run_command(str(TOY), "--plot", str(tmp_path))


def test_command_other_label_column(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text(TOY.read_text().replace("label_included", "label_abstract_screening"))
    payload = json.loads(run_command(str(path), "--label", "label_abstract_screening", "--json"))
    assert payload["n_relevant"] == 8


def test_command_errors(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run_command(str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="missing column\\(s\\) label_abstract_screening"):
        run_command(str(TOY), "--label", "label_abstract_screening")
    with pytest.raises(CommandError, match="--seeds must be whole numbers"):
        run_command(str(TOY), "--seeds", "1,x")
