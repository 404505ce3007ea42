"""The fitted extraction models: written by benchmarks/train_extract.py, do not edit by hand.

CONTENT: content.py's block model (one weight per content.NAMES feature); HEADLINE: page.py's
headline model (page.HEADLINE_NAMES); SPAN_PRIOR, SPAN_MIN, KEEP: how page.py decodes articles
from the block probabilities (see train_extract.py)."""

SPAN_PRIOR = 0.3
SPAN_MIN = 4.0
KEEP = 0.2

CONTENT = {
    "coef": [
        0.619929,  # units
        0.484804,  # chars
        2.618459,  # end_punct
        0.054143,  # sentences
        -0.757866,  # commas
        -0.168481,  # caps
        1.253958,  # all_caps_words
        -0.563053,  # short_words
        3.977503,  # digits
        0.755608,  # bullet
        -2.838316,  # furniture
        0.178646,  # navigation
        -1.373735,  # byline
        -1.582127,  # dateline
        -1.24202,  # credit
        -5.83649,  # list_header
        1.786402,  # url
        -1.753067,  # bracketed
        0.664837,  # one_word
        -0.28497,  # wrapped
        -4.244586,  # ellipsis
        -5.448138,  # boilerplate
        1.519126,  # headline_like
        0.796202,  # gap
        -1.997317,  # repeated
        -0.856862,  # outdented
        -0.935828,  # indented
        0.873819,  # prose_prev
        0.396494,  # prose_next
        -0.064476,  # bullet_prev
        -0.039969,  # bullet_next
        0.655508,  # headline_prev
        0.365629,  # headline_next
        -0.437731,  # prose_above_near
        0.255396,  # prose_below_near
        0.282872,  # units_above_near
        0.182853,  # units_below_near
        1.162749,  # prose_above_far
        1.297294,  # prose_below_far
        -0.007742,  # units_above_far
        0.021014,  # units_below_far
        -3.663386,  # dates_near
        1.178324,  # prose_runs
        -2.292167,  # in_list
        -0.382623,  # capture_prose
        -0.805524,  # between_prose
    ],
    "bias": -9.325383,
}

HEADLINE = {
    "coef": [
        0.099219,  # distance
        0.090822,  # lines_between
        0.289438,  # opens_text
        -0.953755,  # content_next
        0.823706,  # units
        1.888814,  # relative_units
        0.94029,  # longest
        0.363916,  # headline_shape
        -1.000657,  # question
        2.155756,  # dated_below
        0.295044,  # repeated
        2.154459,  # shared_lead
        1.886002,  # shared_body
        -0.637163,  # bullet
        -1.492216,  # gap
        -0.445589,  # upper
        1.785947,  # content
        -1.331544,  # site_suffix
        0.227075,  # after_menu
        0.368254,  # longer_below
        1.497519,  # outdented
        -0.747239,  # caps
        0.890798,  # above_date
        2.686247,  # copy_above
        -0.655203,  # shares_with_above
        -0.005691,  # credit_near
        0.954051,  # nearest_decent
        0.58224,  # second_decent
        0.654759,  # most_shared
        -0.0229,  # decent_below
        2.595351,  # echoed
        -4.324564,  # long
        -1.149185,  # dek_below
        0.942463,  # opens_header
        -1.612459,  # credit
        -0.540108,  # far_copy
    ],
    "bias": 0.0,
}
