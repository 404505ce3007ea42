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
        0.036767,  # distance
        0.073226,  # lines_between
        -0.019608,  # opens_text
        -0.810441,  # content_next
        0.889469,  # units
        2.080828,  # relative_units
        0.826691,  # longest
        0.84212,  # headline_shape
        -0.49647,  # question
        2.346832,  # dated_below
        0.245803,  # repeated
        2.425412,  # shared_lead
        1.87118,  # shared_body
        -0.551866,  # bullet
        -1.579332,  # gap
        0.142226,  # upper
        0.924924,  # content
        -0.863086,  # site_suffix
        0.177949,  # after_menu
        0.29701,  # longer_below
        1.518004,  # outdented
        -0.492994,  # caps
        1.085485,  # above_date
        2.956412,  # copy_above
        -0.317022,  # shares_with_above
        0.211435,  # credit_near
        0.493425,  # nearest_decent
        0.796034,  # second_decent
        0.342287,  # most_shared
        0.024602,  # decent_below
        2.319627,  # echoed
        -4.308015,  # long
        -1.272568,  # dek_below
        1.162344,  # opens_header
        -1.894394,  # credit
        -0.417812,  # far_copy
    ],
    "bias": 0.0,
}
