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
    # pages
    "duty_today": ("今日在岗", "Today"),
    "duty_chief": ("值班长", "Duty chief"),
    "duty_chief_page": ("值班长轮值与日志", "Duty chief & log"),
    "visits": ("领导坐班与检查", "Leaders & inspections"),
    "weekly_report": ("值班长周报", "Weekly report"),
    "notice": ("考核通报", "Assessment notice"),
    "print": ("打印", "Print"),
    "back": ("返回", "Back"),
    "ledger": ("岗位台账：谁在岗、为何在岗", "Post ledger: who holds each seat, and why"),
    "holder": ("在岗人员", "Holder"),
    "basis": ("依据", "Basis"),
    "since": ("起始", "Since"),
    "handovers": ("交接记录", "Handovers"),
    "flags": ("异常", "Flags"),
    "planned": ("提前一天交接", "Planned a day ahead"),
    "unplanned": ("临时交接", "Unplanned"),
    "basis_A": ("A岗", "A post"),
    "basis_B": ("B岗顶岗", "B takes over"),
    "basis_substitute": ("替岗", "Substitute"),
    "basis_cover": ("顶岗", "Cover"),
    "basis_vacant": ("空岗", "Vacant"),
    "cause_sick": ("病假", "sick"),
    "cause_personal": ("事假", "personal leave"),
    "cause_annual": ("年假", "annual leave"),
    "cause_marriage": ("婚假", "marriage leave"),
    "cause_maternity": ("产假", "maternity leave"),
    "cause_bereavement": ("丧假", "bereavement leave"),
    "cause_official": ("因公", "official business"),
    "cause_home": ("探亲假", "home leave"),
    "cause_paid_annual": ("带薪休假", "paid leave"),
    "cause_not_arrived": ("A岗未到岗", "A not arrived"),
    "cause_no_a_holder": ("未排A岗", "no A post rostered"),
    "cause_cover_leave": ("A岗临时离岗待顶岗", "A left for an approved cover"),
    "flag_substitute_missing": ("替岗人员未到岗", "Substitute not on post"),
    "flag_cover_missing": ("顶岗人员未在岗", "Cover not at the seat"),
    "flag_window_empty": ("窗口空岗", "Window empty"),
    "flag_face_mismatch": ("刷脸人员与台账不符", "Face at the seat is not the holder"),
    "stand_in_for": ("代", "standing in for"),
    "stand_in": ("替班人员", "Stand-in"),
    "stand_ins": ("值班长替班（总值班长批准）", "Stand-ins (approved by the head)"),
    "no_rotation": ("尚未排定值班长轮值", "No duty chief rotation set"),
    "rotation": ("值班长轮值（两周一轮）", "Rotation (two-week terms)"),
    "set_rotation": ("设定轮值顺序", "Set the order"),
    "order": ("顺序（工号，逗号分隔）", "Order (staff numbers, comma separated)"),
    "today": ("今天", "Today"),
    "checked_at": ("检查时间", "Checked at"),
    "acknowledge": ("值班长确认", "Acknowledge"),
    "acknowledged": ("已确认", "Acknowledged"),
    "not_acknowledged": ("未确认", "Not acknowledged"),
    "ack_due": ("确认时限", "Due by"),
    "note": ("备注", "Note"),
    "duty_checks": ("值班长随机抽查", "Duty checks"),
    "check_slot": ("第", "Check"),
    "hidden_until_due": ("时间到点前不公开", "Time hidden until due"),
    "done": ("已完成", "Done"),
    "overdue": ("逾期未查", "Overdue"),
    "checked": ("已查看", "Looked at"),
    "record_check": ("登记抽查", "Record the check"),
    "no_checks": ("今天没有计划抽查（非工作日）", "No checks planned today (not a workday)"),
    "item_on_post": ("在岗", "On post"),
    "item_badge": ("佩戴工牌", "Badge"),
    "item_sign": ("暂停服务牌", "Away sign"),
    "item_desk": ("桌面整洁", "Desk tidy"),
    "roster_versions": ("报送记录", "Filings"),
    "roster_filed_ok": ("排班表已报送", "Roster filed"),
    "role": ("岗别", "Role"),
    "overtime": ("节假日值班加班审批", "Holiday duty overtime"),
    "write_log": ("写值班日志", "Write in the log"),
    "duty_log": ("值班长日志", "Duty chief's log"),
    "log_note": ("记事", "Note"),
    "log_incident": ("事件", "Incident"),
    "log_handover": ("交接班", "Handover"),
    "log_points": ("加减分", "Points"),
    "points": ("分值", "Points"),
    "sittings": ("领导坐班", "Leaders sitting in"),
    "register_sitting": ("登记坐班（提前一周）", "Register a sitting (a week ahead)"),
    "registered_late": ("登记不足一周", "Registered late"),
    "sat": ("已坐班", "Sat"),
    "not_sat": ("未坐班", "Did not sit"),
    "record_sat": ("登记已坐班", "Record the sitting"),
    "source_punch": ("（刷脸）", "(punch)"),
    "source_operator": ("（登记）", "(recorded)"),
    "leader": ("领导", "Leader"),
    "unit": ("单位", "Unit"),
    "inspections": ("窗口检查", "Inspections"),
    "record_inspection": ("登记检查", "Record an inspection"),
    "inspect_spot": ("抽查", "Spot check"),
    "inspect_unannounced": ("明察暗访", "Unannounced visit"),
    "inspector": ("检查人", "Inspector"),
    "problem_found": ("发现问题", "Problem found"),
    "findings": ("发现", "Findings"),
    "no_inspection_week": ("本周无检查（DUTY-4 要求每周不少于一次）", "No inspection this week"),
    "by_day": ("每日情况", "Day by day"),
    "chief_arrival": ("值班长提前到岗", "Duty chief early"),
    "early_ok": ("按时提前", "early enough"),
    "early_short": ("提前不足", "not early enough"),
    "early_after": ("开厅后到岗", "after opening"),
    "early_none": ("未刷脸", "no punch"),
    "term_handover": ("期满交接", "End-of-term handover"),
    "handover_missing": ("未见交接记录", "no handover logged"),
    "signature": ("签字", "signature"),
    "issuer": ("督查考核科", "Supervision office"),
    "none": ("无", "none"),
    "points_policy": ("考核分值（本大厅可修改）", "Assessment points (the hall edits)"),
    "points_base": ("基础分", "Base"),
    "points_late": ("迟到每次", "Late, each"),
    "points_early": ("早退每次", "Early leave, each"),
    "points_absent_half_day": ("旷工每半天", "Absent, each half-day"),
    "points_missing_punch": ("缺卡每次", "Missing punch, each"),
    "points_lates_reaching": ("迟到达到次数", "Lates reaching"),
    "points_lates_reaching_points": ("迟到达到次数时", "When lates reach it"),
    "points_missing_over": ("忘记签到超过次数", "Forgotten sign-ins over"),
    "points_missing_over_points": ("忘记签到超过次数时", "When over it"),
    "points_not_early": ("未提前到岗每次", "Not early, each"),
    "points_violation": ("在岗违规每次", "On-post violation, each"),
    "points_dissatisfied": ("不满意评价每次", "Dissatisfied rating, each"),
    "points_inspection_problem": ("检查发现问题每次", "Inspection finding, each"),
    "points_check_missed": ("值班抽查未完成每次", "Duty check missed, each"),
    "points_opening_unacknowledged": ("开厅检查未按时确认每次", "Opening not acknowledged, each"),
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
    "roster_err_size": ("文件过大（最多 2 MB）", "The file is too large (2 MB at most)"),
    "points_err": ("分值应为数字，次数应为正整数", "Points are numbers, counts whole numbers"),
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
    # leaders, inspections
    "visit_err_window": ("窗口不在本大厅", "No such window in this hall"),
    "visit_err_past": ("不能登记已过去的日子", "A day gone by cannot be registered"),
    "visit_err_future": ("尚未发生的事不能登记", "Something not yet happened cannot be recorded"),
    "visit_err_kind": ("检查类型应为 抽查 或 明察暗访", "The kind is spot or unannounced"),
    # assessment
    "assessment": ("月度考核", "Monthly assessment"),
    "assess_staff": ("人员考核", "Staff"),
    "assess_windows": ("窗口考核", "Windows"),
    "assess_frozen": ("已随考勤月结冻结", "Frozen with the closed attendance month"),
    "assess_open": ("考勤月未结，数据可能变动", "The attendance month is open: figures may change"),
    "rank": ("名次", "Rank"),
    "subject": ("对象", "Subject"),
    "name": ("姓名", "Name"),
    "total": ("得分", "Score"),
    "items": ("加减分明细", "Items"),
    "item_late": ("迟到", "Late"),
    "item_early": ("早退", "Early leave"),
    "item_absent_half_day": ("旷工（半天）", "Absent (half-days)"),
    "item_missing_punch": ("缺卡", "Missing punch"),
    "item_lates_reaching": ("迟到达到次数", "Lates reaching the limit"),
    "item_missing_over": ("忘记签到超过次数", "Forgotten sign-ins over the limit"),
    "item_not_early": ("未提前到岗", "Not early before opening"),
    "item_violation": ("在岗违规", "On-post violations"),
    "item_dissatisfied": ("不满意评价", "Dissatisfied ratings"),
    "item_inspection_problem": ("检查发现问题", "Inspection findings"),
    "item_check_missed": ("值班抽查未完成", "Duty checks missed"),
    "item_opening_unacknowledged": ("开厅检查未按时确认", "Opening check not acknowledged"),
    "item_duty_points": ("值班长加减分", "Duty chief's points"),
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
