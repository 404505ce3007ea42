"""The fitted extraction models: written by benchmarks/train_extract.py, do not edit by hand.

CONTENT: content.py's block model (one weight per content.NAMES feature); HEADLINE: page.py's
headline model (page.HEADLINE_NAMES); SPAN_PRIOR, SPAN_MIN, KEEP: how page.py decodes articles
from the block probabilities (see train_extract.py)."""

SPAN_PRIOR = 0.3
SPAN_MIN = 4.0
KEEP = 0.2

CONTENT = {
    "coef": [
        0.708066,  # units
        0.407249,  # chars
        2.59531,  # end_punct
        0.064227,  # sentences
        -0.704665,  # commas
        -0.119891,  # caps
        1.198175,  # all_caps_words
        -0.60263,  # short_words
        4.052886,  # digits
        0.720105,  # bullet
        -3.249189,  # furniture
        0.503865,  # navigation
        -1.337406,  # byline
        -1.607509,  # dateline
        -1.559458,  # credit
        -5.826029,  # list_header
        1.654008,  # url
        -1.807842,  # bracketed
        0.722937,  # one_word
        -0.281086,  # wrapped
        -4.192535,  # ellipsis
        1.5415,  # headline_like
        0.85132,  # gap
        -1.986841,  # repeated
        -0.886719,  # outdented
        -0.930726,  # indented
        0.910417,  # prose_prev
        0.455796,  # prose_next
        -0.050628,  # bullet_prev
        0.002728,  # bullet_next
        0.69068,  # headline_prev
        0.443687,  # headline_next
        -0.427634,  # prose_above_near
        0.258013,  # prose_below_near
        0.272989,  # units_above_near
        0.188805,  # units_below_near
        1.195756,  # prose_above_far
        1.335202,  # prose_below_far
        -0.009586,  # units_above_far
        0.019797,  # units_below_far
        -3.53455,  # dates_near
        1.153374,  # prose_runs
        -2.249191,  # in_list
        -0.346975,  # capture_prose
        -0.772684,  # between_prose
    ],
    "bias": -9.420133,
}

HEADLINE = {
    "coef": [
        0.059922,  # distance
        0.452023,  # lines_between
        -2.120899,  # opens_text
        0.801299,  # content_next
        1.196308,  # units
        -0.276623,  # relative_units
        1.043451,  # longest
        2.569425,  # headline_shape
        0.409259,  # question
        2.29895,  # dated_below
        0.526925,  # repeated
        1.792631,  # shared_lead
        3.317389,  # shared_body
        -2.22219,  # bullet
        -1.188628,  # gap
        0.585629,  # upper
        1.025703,  # content
        -1.321763,  # site_suffix
        0.028133,  # after_menu
        0.209885,  # longer_below
        2.112691,  # outdented
        -0.449742,  # caps
        1.369717,  # above_date
        4.408511,  # copy_above
        -0.550995,  # shares_with_above
        0.465326,  # credit_near
    ],
    "bias": 0.0,
}
