"""The duty area's words (zh-CN first, English), joined to the dashboard's message catalogue.

Keys with `{name}` are format strings; `say(lang, key, **values)` fills them in.
"""

from __future__ import annotations

from collections.abc import Callable

WORDS: dict[str, tuple[str, str]] = {
    # navigation and pages
    "duty": ("值班与排班", "Duty & roster"),
    "roster": ("排班表", "Roster"),
    "roster_month": ("月份", "Month"),
    "roster_version": ("版本", "Version"),
    "roster_filed": ("报送时间", "Filed at"),
    "roster_filed_by": ("报送人", "Filed by"),
    "roster_late": ("逾期报送", "Filed late"),
    "roster_on_time": ("按时报送", "Filed on time"),
    "roster_none": (
        "本月尚未报送排班表（按常设岗位考勤）",
        "No roster filed (standing seats apply)",
    ),
    "roster_import": ("导入排班表", "Import a roster"),
    "roster_template_csv": ("下载模板 (CSV)", "Template (CSV)"),
    "roster_template_xlsx": ("下载模板 (XLSX)", "Template (XLSX)"),
    "roster_edit": ("修改一格", "Edit one cell"),
    "roster_saved": ("排班表已报送：第 {version} 版", "Roster filed: version {version}"),
    "roster_refused": ("排班表未报送，请改正后重新导入：", "Roster not filed; correct and retry:"),
    "role_A": ("A岗", "A post"),
    "role_B": ("B岗", "B post"),
    "role_chief": ("首席代表", "Chief representative"),
    "holiday_duty": ("节假日值班（加班）", "Holiday duty (overtime)"),
    "why": ("原因", "Reason"),
    "file": ("文件", "File"),
    "submit": ("提交", "Submit"),
    "clear": ("清空", "Clear"),
    # roster issues (line {line})
    "roster_err_missing": ("第 {line} 行缺少：{columns}", "Line {line}: missing {columns}"),
    "roster_err_role": (
        "第 {line} 行岗别“{role}”无效，应为 A岗、B岗 或 首席代表",
        "Line {line}: role '{role}' must be A, B or chief",
    ),
    "roster_err_seat": (
        "第 {line} 行岗位“{seat}”不在本大厅（两人窗口请写岗位编号）",
        "Line {line}: no seat '{seat}' in this hall (name the seat of a two-seat window)",
    ),
    "roster_err_staff": (
        "第 {line} 行工号“{staff}”不在人员名单中，请先登记人员",
        "Line {line}: staff number '{staff}' is not on the staff list; add them first",
    ),
    "roster_err_date": (
        "第 {line} 行日期“{date}”无效，应为 2026-12-07、2026-12 或 2026-12-07~2026-12-11",
        "Line {line}: date '{date}' must be 2026-12-07, 2026-12 or 2026-12-07~2026-12-11",
    ),
    "roster_err_month": (
        "第 {line} 行日期 {date} 不在 {month} 内",
        "Line {line}: {date} is not in {month}",
    ),
    "roster_err_month_text": ("月份“{month}”应写作 YYYY-MM", "Month '{month}' must be YYYY-MM"),
    "roster_err_months": (
        "一份排班表只报一个月，文件中有：{months}",
        "One roster is one month; the file has {months}",
    ),
    "roster_err_two_holders": (
        "{day} {seat} 的{role}有两人：{staff}",
        "{day} {seat}: two {role} holders: {staff}",
    ),
    "roster_err_two_seats": (
        "{day} {staff} 同时是两个岗位的A岗：{seat}",
        "{day} {staff} holds two A posts: {seat}",
    ),
    "roster_err_a_is_b": (
        "{day} {seat} 的A岗与B岗是同一人 {staff}",
        "{day} {seat}: A and B are the same person {staff}",
    ),
    "roster_err_header": (
        "表头缺少列：{columns}（应为 工号,日期,岗位,岗别）",
        "Header lacks {columns} (staff_id,date,seat,role)",
    ),
    "roster_err_empty": ("文件中没有排班行", "The file has no roster rows"),
    "roster_err_xlsx": ("无法读取该 XLSX 文件，请另存为 .xlsx 或 .csv", "Cannot read the XLSX"),
    "roster_err_encoding": ("无法识别文件编码，请存为 UTF-8 或 GBK 的 CSV", "Unknown encoding"),
    "roster_err_calendar": (
        "国家日历不含该年份，请在考勤规则中补充该年的工作日：{detail}",
        "The national calendar lacks that year; add its days to the policy: {detail}",
    ),
    "roster_warn_no_a": (
        "窗口 {window} 在 {days} 无A岗（杜绝空岗，DUTY-1）",
        "Window {window} has no A post on {days} (DUTY-1)",
    ),
}


def catalogue(lang: str) -> Callable[[str], str]:
    """t(key): the duty words, then the dashboard's catalogue; an unknown key shows as itself."""
    from hub.dashboard.i18n import translator

    base = translator(lang)
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = WORDS.get(key)
        return pair[index] if pair else base(key)

    return t


def say(lang: str, key: str, **values: object) -> str:
    """A message in `lang` with its values filled in."""
    text = catalogue(lang)(key)
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text
