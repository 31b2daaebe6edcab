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
    # duty chief refusals
    "chief_err_staff": ("不在人员名单中：{staff}", "Not on the staff list: {staff}"),
    "chief_err_order": ("轮值顺序不能为空，也不能重复同一人", "Name each person once"),
    "chief_err_dates": ("结束日期早于开始日期", "The end is before the start"),
    "chief_err_self": ("值班长不能由本人替岗", "A duty chief cannot stand in for themselves"),
    "chief_err_approver": (
        "值班长请假须由总值班长批准，不能自己批准（DUTY-2）",
        "The head duty chief approves, never the duty chief (DUTY-2)",
    ),
    "chief_err_not_chief": ("{staff} 在 {day} 不是值班长", "{staff} is not duty chief on {day}"),
    "log_err_kind": ("日志类型“{kind}”无效", "Unknown log kind '{kind}'"),
    "log_err_text": ("日志内容不能为空", "The entry needs text"),
    "log_err_points": ("加分/扣分须写明人员或窗口", "Points must name a staff member or window"),
    "log_err_future": ("不能为尚未到来的日子写日志", "No log for a day not yet come"),
    "log_err_window": ("窗口“{window}”不在本大厅", "No window '{window}' in this hall"),
    "check_err_future": ("抽查时间不能晚于现在", "A check cannot be recorded in the future"),
    "check_err_not_due": (
        "该次抽查尚未到时间（或不是当天的抽查），不能登记",
        "This check is not due yet (or not today's); it cannot be recorded",
    ),
    "check_err_seat": ("抽查中有不在本大厅的岗位", "The check names a seat not in this hall"),
    "opening_err_no_report": (
        "今天的开厅设备检查尚未运行，请先在设备页运行检查",
        "Today's opening check has not run yet; run it on the devices page first",
    ),
    "opening_err_done": ("今天的开厅检查已确认", "Today's opening check is acknowledged already"),
    # alerts (the hall's language; the rule id is part of the sentence)
    "alert_substitute_missing": (
        "{rule} {window} 窗口：{staff} 请假离岗，替岗人员自 {since} 起未到岗",
        "{rule} window {window}: {staff} is on leave; the substitute is not on post since {since}",
    ),
    "alert_cover_missing": (
        "{rule} {seat}：顶岗人员 {staff} 自 {since} 起未在岗",
        "{rule} {seat}: the cover {staff} is not at the seat since {since}",
    ),
    "alert_window_empty": (
        "{rule} {window} 窗口自 {since} 起无人在岗（杜绝空岗）",
        "{rule} window {window} has nobody on post since {since}",
    ),
    "alert_face_mismatch": (
        "{rule} {seat}：{since} 在岗位刷脸的 {staff} 不是排班表上的在岗人员",
        "{rule} {seat}: {staff}, seen at the seat at {since}, is not the ledger's holder",
    ),
    "alert_check_overdue": (
        "POST-8 第 {slot} 次值班长抽查（{planned}）未完成",
        "POST-8 duty check {slot} ({planned}) not done",
    ),
    "alert_opening_unacknowledged": (
        "DEV-1 {day} 开厅设备检查未经值班长确认（应于 {due} 前）",
        "DEV-1 the opening check of {day} is not acknowledged by the duty chief (due {due})",
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
