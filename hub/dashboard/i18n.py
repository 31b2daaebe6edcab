"""The dashboard's words in Chinese (zh-CN, the default) and English: a message catalogue."""

from __future__ import annotations

from collections.abc import Callable

from models.devices import KINDS

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
COOKIE = "hk_lang"

_PAIRS: dict[str, tuple[str, str]] = {
    "app": ("大厅管家", "hallkeeper"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误，或账号已停用", "Wrong username or password, or disabled"),
    "login_expired": ("登录页已过期，请重新登录", "The login form expired; please log in again"),
    "login_locked": ("登录失败次数过多，请一分钟后再试", "Too many failed logins; wait a minute"),
    "hallmap": ("大厅实况", "Live hall"),
    "devices": ("设备状态", "Devices"),
    "attendance": ("考勤", "Attendance"),
    "compliance": ("在岗违规", "On-post violations"),
    "ratings": ("评价与回访", "Ratings & follow-ups"),
    "queue": ("排队统计", "Queue statistics"),
    "alerts": ("告警", "Alerts"),
    "audit": ("操作日志", "Audit log"),
    "window": ("窗口", "Window"),
    "seat": ("岗位", "Seat"),
    "staff": ("人员", "Staff"),
    "on_post": ("在岗", "On post"),
    "away": ("离岗", "Away"),
    "away_since": ("离岗计时", "Away for"),
    "unassigned": ("未排岗", "Unassigned"),
    "post_A": ("A岗", "A post"),
    "post_B": ("B岗顶岗", "B takes over"),
    "post_substitute": ("替岗", "Substitute"),
    "post_cover": ("顶岗", "Cover"),
    "unknown": ("未知", "Unknown"),
    "serving": ("正在办理", "Serving"),
    "waiting": ("等候", "Waiting"),
    "est_wait": ("预计等候(分)", "Est. wait (min)"),
    "service": ("业务", "Service"),
    "paused": ("暂停", "Paused"),
    "live": ("实时更新", "Live"),
    "device": ("设备", "Device"),
    "kind": ("类型", "Kind"),
    "status": ("状态", "Status"),
    "online": ("在线", "Online"),
    "offline": ("离线", "Offline"),
    "inactive": ("无响应", "Inactive"),
    "last_seen": ("最后通信", "Last seen"),
    "version": ("版本", "Version"),
    "outbox": ("待发积压", "Outbox backlog"),
    "clock_skew": ("时钟偏差(ms)", "Clock skew (ms)"),
    "open_alerts": ("未处理告警", "Open alerts"),
    "opening_check": ("开厅检查 (DEV-1)", "Opening check (DEV-1)"),
    "run_check": ("立即检查", "Check now"),
    "ok": ("正常", "OK"),
    "problems": ("问题", "Problems"),
    "not_checked": ("尚未检查", "Not checked yet"),
    "day": ("日期", "Day"),
    "month": ("月份", "Month"),
    "day_view": ("日考勤", "Day view"),
    "month_view": ("月考勤汇总", "Month summary"),
    "checkpoints": ("打卡点", "Checkpoints"),
    "leaves": ("请假", "Leave requests"),
    "kind_of_leave": ("假别", "Kind"),
    "from": ("开始", "From"),
    "to": ("结束", "To"),
    "reason": ("事由", "Reason"),
    "approve": ("批准", "Approve"),
    "refuse": ("不批准", "Refuse"),
    "why": ("说明", "Why"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_xlsx": ("导出 Excel", "Export XLSX"),
    "statuses": ("考勤状态分布", "Checkpoint statuses"),
    "late": ("迟到", "Late"),
    "early": ("早退", "Early leave"),
    "missing": ("缺卡", "Missing"),
    "absent": ("旷工", "Absent"),
    "leave": ("请假", "On leave"),
    "workdays": ("工作日", "Workdays"),
    "penalty": ("扣款(元)", "Penalty (yuan)"),
    "corrections": ("补卡", "Corrections"),
    "rule": ("规则", "Rule"),
    "detail": ("详情", "Detail"),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "none": ("无", "None"),
    "tickets": ("取号", "Tickets"),
    "served": ("已办", "Served"),
    "no_shows": ("过号", "No-shows"),
    "mean_wait": ("平均等候(分)", "Mean wait (min)"),
    "waits_per_hour": ("各时段平均等候(分)", "Mean wait per hour (min)"),
    "over_limit": ("即办件超时 (QUEUE-5)", "Immediate cases over the limit (QUEUE-5)"),
    "severity": ("级别", "Severity"),
    "message": ("内容", "Message"),
    "opened": ("发生时间", "Opened"),
    "resolve": ("处理", "Resolve"),
    "source": ("来源", "Source"),
    "when": ("时间", "When"),
    "who": ("操作人", "Who"),
    "what": ("操作", "What"),
    "role": ("角色", "Role"),
    "forbidden": ("无权执行此操作", "Your role may not do this"),
    "done": ("已完成", "Done"),
    "stage_department": ("部门负责人审批", "Department head"),
    "stage_office": ("督查考核科审批", "Supervision office"),
    "rating_count": ("评价数", "Ratings"),
    "satisfied": ("满意率", "Satisfied"),
    "followups": ("回访任务", "Follow-ups"),
    "language": ("English", "中文"),
    "new_leave": ("登记请假", "File leave"),
    "new_correction": ("补卡 (已批准)", "Correction (approved)"),
    "submit": ("提交", "Submit"),
    "pending": ("待部门审批", "Pending"),
    "dept_approved": ("待督查考核科审批", "Department approved"),
    "approved": ("已批准", "Approved"),
    "refused": ("未批准", "Refused"),
    "revoked": ("已撤销", "Revoked"),
    "personal": ("事假", "Personal"),
    "sick": ("病假", "Sick"),
    "annual": ("年假", "Annual"),
    "marriage": ("婚假", "Marriage"),
    "maternity": ("产假", "Maternity"),
    "bereavement": ("丧假", "Bereavement"),
    "official": ("因公", "Official business"),
    "no_data": ("暂无数据", "No data"),
}
_PAIRS.update({kind: (spec.label_zh, spec.label_en) for kind, spec in KINDS.items()})
"""Device kinds are named where they are defined (models/devices/)."""
CATALOGUE: dict[str, dict[str, str]] = {
    "zh-CN": {k: zh for k, (zh, _en) in _PAIRS.items()},
    "en": {k: en for k, (_zh, en) in _PAIRS.items()},
}
"""lang -> message key -> text."""

ROLE_NAMES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "admin": "管理员",
        "supervisor": "督查考核科",
        "duty_chief": "值班长",
        "window_lead": "窗口负责人",
        "viewer": "只读",
    },
    "en": {
        "admin": "Admin",
        "supervisor": "Supervision office",
        "duty_chief": "Duty chief",
        "window_lead": "Window lead",
        "viewer": "Viewer",
    },
}


def choose_lang(query: str | None, cookie: str | None) -> str:
    """The language asked for by ?lang=, else the cookie, else zh-CN."""
    for asked in (query, cookie):
        if asked:
            norm = "en" if asked.lower().startswith("en") else "zh-CN"
            if asked.lower().startswith(("en", "zh")):
                return norm
    return DEFAULT_LANG


def translator(lang: str) -> Callable[[str], str]:
    """t(key) for a language; an unknown key shows as itself."""
    table = CATALOGUE.get(lang, CATALOGUE[DEFAULT_LANG])

    def t(key: str) -> str:
        return table.get(key, key)

    return t
