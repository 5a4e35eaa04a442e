"""Page defects found by walking the demo site as its users do (375 px and 1366 px), checked through the
test client."""
from __future__ import annotations

import re

from tests.test_materials import _accept, mat, submit  # noqa: F401  (mat is a fixture)


def test_the_matrix_bottom_row_names_each_units_tally(mat, client_for):  # noqa: F811
    """On a phone the bottom row becomes one line per unit: each line says whose 合格率/报送率 it is
    (it was 40 lines all labelled 合格/报送)."""
    for name in ("工作方案", "会议记录", "活动照片"):  # 城东街道: 2.1.1 合格, 2.1.2 缺报
        _accept(mat, submit(mat, mat.items[name], text="见附件"))
    body = client_for(mat.admin).get("/materials/").content.decode()
    foot = re.search(r"<tfoot>(.*?)</tfoot>", body, re.S).group(1)
    assert "各单位合格率/报送率" in foot
    labels = re.findall(r'<td data-label="([^"]+)">([^<]*)</td>', foot)
    assert labels[:2] == [("城东街道", "50.0% / 50.0%"), ("口岸街道", "0.0% / 0.0%")]
    assert "合格/报送\"" not in foot
