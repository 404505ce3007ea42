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
        -0.148326,  # distance
        1.180015,  # lines_between
        -0.511059,  # opens_text
        1.273051,  # content_next
        0.930086,  # units
        0.147052,  # relative_units
        1.319041,  # longest
        2.174288,  # headline_shape
        -0.286536,  # question
        2.731596,  # dated_below
        0.875999,  # repeated
        2.820808,  # shared_lead
        2.410409,  # shared_body
        -2.101804,  # bullet
        -0.776066,  # gap
        0.227763,  # upper
        1.133848,  # content
        -1.832434,  # site_suffix
        0.300337,  # after_menu
        0.837273,  # longer_below
        1.907975,  # outdented
        -1.08159,  # caps
        1.538472,  # above_date
        4.596104,  # copy_above
        -0.404021,  # shares_with_above
        -0.001587,  # credit_near
        1.912052,  # nearest_decent
        1.083053,  # second_decent
        0.253901,  # most_shared
        0.236594,  # decent_below
        2.715265,  # echoed
    ],
    "bias": 0.0,
}
