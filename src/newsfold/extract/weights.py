"""The fitted extraction models: written by benchmarks/train_extract.py, do not edit by hand.

CONTENT: content.py's block model (one weight per content.NAMES feature); HEADLINE: page.py's
headline model (page.HEADLINE_NAMES); SPAN_PRIOR, SPAN_MIN, KEEP: how page.py decodes articles
from the block probabilities (see train_extract.py)."""

SPAN_PRIOR = 0.3
SPAN_MIN = 4.0
KEEP = 0.2

CONTENT = {
    "coef": [
        0.521425,  # units
        0.535783,  # chars
        2.569313,  # end_punct
        0.078018,  # sentences
        -0.720197,  # commas
        -0.225111,  # caps
        1.158043,  # all_caps_words
        -0.525403,  # short_words
        3.77306,  # digits
        0.884452,  # bullet
        -2.789339,  # furniture
        0.192333,  # navigation
        -1.329412,  # byline
        -1.472432,  # dateline
        -1.244358,  # credit
        -5.793214,  # list_header
        1.801759,  # url
        -1.729381,  # bracketed
        0.667661,  # one_word
        -0.3068,  # wrapped
        -4.291016,  # ellipsis
        -5.477019,  # boilerplate
        1.501383,  # headline_like
        0.879815,  # gap
        -1.98733,  # repeated
        -0.983333,  # outdented
        -1.113397,  # indented
        0.869326,  # prose_prev
        0.377525,  # prose_next
        -0.025735,  # bullet_prev
        -0.006925,  # bullet_next
        0.649871,  # headline_prev
        0.338049,  # headline_next
        -0.4313,  # prose_above_near
        0.236471,  # prose_below_near
        0.275849,  # units_above_near
        0.187113,  # units_below_near
        1.12363,  # prose_above_far
        1.22301,  # prose_below_far
        0.007848,  # units_above_far
        0.038444,  # units_below_far
        -3.618237,  # dates_near
        1.166606,  # prose_runs
        -2.292026,  # in_list
        -0.33019,  # capture_prose
        -0.823565,  # between_prose
    ],
    "bias": -9.301916,
}

HEADLINE = {
    "coef": [
        0.080024,  # distance
        0.086672,  # lines_between
        0.301042,  # opens_text
        -1.025442,  # content_next
        0.867772,  # units
        1.999385,  # relative_units
        0.830725,  # longest
        0.396775,  # headline_shape
        -1.004699,  # question
        2.18744,  # dated_below
        0.292646,  # repeated
        2.10278,  # shared_lead
        1.926466,  # shared_body
        -0.628813,  # bullet
        -1.493902,  # gap
        -0.459079,  # upper
        1.361446,  # content
        -1.304252,  # site_suffix
        0.184295,  # after_menu
        0.384553,  # longer_below
        1.502711,  # outdented
        -0.79095,  # caps
        0.964887,  # above_date
        2.571264,  # copy_above
        -0.678914,  # shares_with_above
        -0.147985,  # credit_near
        0.867229,  # nearest_decent
        0.497563,  # second_decent
        0.637803,  # most_shared
        -0.023727,  # decent_below
        2.455185,  # echoed
        -4.346328,  # long
        -1.135177,  # dek_below
        0.874969,  # opens_header
        -1.604726,  # credit
        -0.555682,  # far_copy
    ],
    "bias": 0.0,
}
