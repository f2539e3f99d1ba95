"""`ingest/labels.py`: roman numerals, letters and label sequences, on hand-made examples and edge cases."""

from __future__ import annotations

import pytest

from crosswalk.ingest.labels import (
    DOUBLED,
    EU,
    LETTER,
    NUMBER,
    ROMAN,
    SINGLE,
    Sequence,
    continuing,
    is_roman,
    letter_label,
    letter_ordinal,
    next_letter,
    opening,
    roman_value,
    to_roman,
)

# ---------------------------------------------------------------- roman numerals


@pytest.mark.parametrize(
    "numeral, value",
    [("i", 1), ("iv", 4), ("ix", 9), ("xiv", 14), ("xxxix", 39), ("xl", 40), ("xc", 90), ("cd", 400),
     ("cdxliv", 444), ("mcmxcix", 1999), ("mmmcmxcix", 3999), ("IV", 4), ("XXXIX", 39), ("MMXXVI", 2026)],
)
def test_roman_value_of_canonical_numerals(numeral, value):
    assert roman_value(numeral) == value
    assert to_roman(value, upper=numeral.isupper()) == numeral


@pytest.mark.parametrize(
    "label",
    ["", "iiv", "iiii", "vx", "il", "ic", "xm", "vv", "mmmm", "Xii", "xIV", "a", "ab", "4", "(i)", " i", "i ",
     "ⅰ"],
)
def test_roman_value_is_none_for_what_is_not_a_numeral(label):
    assert roman_value(label) is None
    assert not is_roman(label)


def test_roman_ceiling_and_case():
    assert roman_value("xxxix", maximum=39) == 39
    assert roman_value("xl", maximum=39) is None
    assert roman_value("cccxcix", maximum=399) == 399 and roman_value("cd", maximum=399) is None
    assert roman_value("XII", case="lower") is None and roman_value("xii", case="lower") == 12
    assert roman_value("xii", case="upper") is None and roman_value("XII", case="upper") == 12
    with pytest.raises(ValueError, match="case must be one of"):
        roman_value("i", case="title")


@pytest.mark.parametrize("n", [0, -1, 4000])
def test_to_roman_refuses_numbers_out_of_range(n):
    with pytest.raises(ValueError, match="1 to 3999"):
        to_roman(n)


def test_to_roman_and_roman_value_round_trip():
    for n in range(1, 4000):
        assert roman_value(to_roman(n)) == n
        assert roman_value(to_roman(n, upper=True)) == n


# ---------------------------------------------------------------- letters


@pytest.mark.parametrize(
    "label, style, ordinal",
    [("a", SINGLE, 1), ("z", SINGLE, 26), ("Q", SINGLE, 17), ("aa", SINGLE, None),
     ("aa", EU, 27), ("az", EU, 52), ("ba", EU, 53), ("zz", EU, 702), ("aaa", EU, 703), ("AB", EU, 28),
     ("aa", DOUBLED, 27), ("bb", DOUBLED, 28), ("ZZ", DOUBLED, 52), ("ab", DOUBLED, None), ("aaa", DOUBLED, None),
     ("", EU, None), ("aB", EU, None), ("a1", SINGLE, None), ("é", SINGLE, None), ("1", SINGLE, None)],
)
def test_letter_ordinal(label, style, ordinal):
    assert letter_ordinal(label, style) == ordinal


@pytest.mark.parametrize(
    "label, style, following",
    [("a", SINGLE, "b"), ("y", SINGLE, "z"), ("z", SINGLE, None), ("Y", SINGLE, "Z"),
     ("z", EU, "aa"), ("aa", EU, "ab"), ("af", EU, "ag"), ("az", EU, "ba"), ("zz", EU, "aaa"), ("Z", EU, "AA"),
     ("z", DOUBLED, "aa"), ("aa", DOUBLED, "bb"), ("Z", DOUBLED, "AA"), ("AA", DOUBLED, "BB"), ("zz", DOUBLED, None),
     ("ab", DOUBLED, None), ("", EU, None), ("3", SINGLE, None)],
)
def test_next_letter(label, style, following):
    assert next_letter(label, style) == following


def test_letter_label_is_the_inverse_of_letter_ordinal():
    for style, last in ((SINGLE, 26), (DOUBLED, 52), (EU, 2000)):
        for n in range(1, last + 1):
            assert letter_ordinal(letter_label(n, style), style) == n
            assert letter_ordinal(letter_label(n, style, upper=True), style) == n
        assert style == EU or letter_label(last + 1, style) is None
    assert letter_label(0) is None and letter_label(-3, EU) is None


def test_unknown_letter_style_is_refused():
    with pytest.raises(ValueError, match="letter style must be one of"):
        letter_ordinal("a", "greek")


# ---------------------------------------------------------------- sequences


def test_sequence_of_numbers():
    seq = Sequence(NUMBER)
    assert seq.first == "1" and seq.next("9") == "10" and seq.next("99") == "100"
    assert seq.ordinal("16") == 16 and seq.ordinal("a") is None and seq.ordinal("") is None
    assert seq.follows("1", "2") and not seq.follows("1", "3") and not seq.follows("8", "09")
    assert "0" not in seq  # numbering starts at 1


def test_sequence_of_roman_numerals_keeps_its_case_and_ceiling():
    lower, upper = Sequence(ROMAN, maximum=39), Sequence(ROMAN, upper=True, maximum=39)
    assert lower.first == "i" and upper.first == "I"
    assert lower.next("viii") == "ix" and upper.next("VIII") == "IX"
    assert lower.next("xxxix") is None and "xl" not in lower
    assert "IV" not in lower and "iv" not in upper
    assert not lower.follows("IV", "v")


def test_sequence_of_letters_by_style():
    eu = Sequence(LETTER, style=EU)
    assert [eu.next(x) for x in ("h", "z", "aa", "az")] == ["i", "aa", "ab", "ba"]
    us_upper = Sequence(LETTER, upper=True, style=DOUBLED)
    assert us_upper.next("Z") == "AA" and us_upper.next("AA") == "BB" and "AB" not in us_upper
    items = Sequence(LETTER, style=DOUBLED, start=27)
    assert items.first == "aa" and "a" not in items and items.follows("aa", "bb") and not items.follows("aa", "cc")
    assert "A" not in Sequence(LETTER) and "a" not in Sequence(LETTER, upper=True)


def test_sequence_refuses_an_unknown_form():
    with pytest.raises(ValueError, match="form must be"):
        Sequence("greek")


SEQS = {"num": Sequence(NUMBER), "alpha": Sequence(LETTER), "roman": Sequence(ROMAN), "eu": Sequence(LETTER, style=EU)}


@pytest.mark.parametrize(
    "path, label, kinds, depths",
    [
        ([("num", "1"), ("alpha", "h")], "i", ("alpha", "roman"), [1]),
        ([("alpha", "h"), ("num", "3")], "i", ("alpha", "roman"), [0]),
        ([("alpha", "h"), ("num", "3"), ("roman", "viii")], "ix", ("roman",), [2]),
        ([("num", "1"), ("alpha", "a"), ("num", "1")], "2", ("num",), [2, 0]),  # deepest first
        ([("num", "2")], "1", ("num",), []),
        ([("num", "1"), ("alpha", "h")], "i", ("roman",), []),  # only the kinds the label may be
        ([], "a", ("alpha",), []),
    ],
)
def test_continuing(path, label, kinds, depths):
    assert continuing(path, label, kinds, SEQS) == depths


@pytest.mark.parametrize(
    "path, label, kinds, opened",
    [
        ([("num", "1"), ("alpha", "c")], "i", ("alpha", "roman"), ["roman"]),
        ([("num", "1")], "i", ("alpha", "roman"), ["roman"]),  # `i` opens a list of numerals, never of letters
        ([("num", "1"), ("roman", "ii")], "i", ("alpha", "roman"), []),
        ([], "a", ("eu", "alpha"), ["eu", "alpha"]),  # in the order given
        ([], "1", ("num",), ["num"]),
        ([("num", "1")], "1", ("num",), []),  # a kind already open is not opened again
        ([], "b", ("alpha",), []),
    ],
)
def test_opening(path, label, kinds, opened):
    assert opening(path, label, kinds, SEQS) == opened
