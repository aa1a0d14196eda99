"""The words people read for the engine's codes, in Chinese: actions, where a step stands, how a
case ended, clocks, roles and delivery methods (the case summary, ``onething status``).

Codes stay ASCII in data, in actors and on the command line (``approve``, ``window``); these are
their display names. A code this module does not know is shown as itself, so a new action
never turns into an error on a status page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

#: the actions people take on a case (the case net's, and those around it)
ACTIONS: dict[str, str] = {
    "accept": "受理",
    "refuse_intake": "不予受理",
    "request_intake_correction": "一次性告知补正",
    "supplement_intake": "答复补正告知",
    "approve": "审批通过",
    "approve_on_commitment": "告知承诺审批",
    "refuse": "不予批准",
    "request_correction": "要求补正",
    "supplement": "补正材料",
    "supplement_material": "补交容缺材料",
    "send_back": "退回重审",
    "start_special_procedure": "启动特别程序",
    "end_special_procedure": "结束特别程序",
    "withdraw": "撤回申请",
    "deliver": "统一出件",
    "revoke_commitment": "撤销告知承诺审批",
    "verify_commitment": "告知承诺核查",
    "extend": "延长办理时限",
    "record_milestone": "报告办理节点",
    "evaluate": "好差评",
}

#: what a line of a case's history records, as a timeline shows it (the actions above and
#: what the engine and the staff record besides)
HISTORY: dict[str, str] = {
    **ACTIONS,
    "submit": "提交申请",
    "delivered": "送达完成",
    "claimed": "认领",
    "released": "释放",
    "assigned": "指派",
    "reassigned": "改派",
    "refused_attempt": "未获准的操作",
    "agent_authorized": "授权代理人",
    "signed_off": "会签",
    "milestone": "报告办理节点",
    "extended": "延长办理时限",
    "evaluated": "好差评",
    "escalated": "督办",
    "migrated": "迁移到新版本",
    "erased": "删除个人信息",
    "opened": "开启子案件",
    "child_delivered": "子案件办结",
    "calendar_refreshed": "更新工作日历",
    "deemed_approval": "视为同意",
    "terminated": "终止办理",
}

#: how a department decided its step (an outcome a step names has its own title)
OUTCOMES: dict[str, str] = {"approve": "通过", "refuse": "不予批准", "send_back": "退回重审",
                            "deemed": "视为同意（逾期未反馈）"}

#: how a round decides a step
ROUNDS: dict[str, str] = {"signers": "联合签署", "experts": "专家评审", "items": "逐项办理"}

#: where a case stands as a whole
STATUSES: dict[str, str] = {
    "submitted": "已提交，待受理",
    "under_intake": "受理审查中（一次性告知）",
    "in_progress": "办理中",
    "ended": "已办结",
}

#: the four kinds of the one delivery
DELIVERIES: dict[str, str] = {
    "result": "办结出件",
    "refusal": "不予许可",
    "withdrawal": "撤回申请",
    "termination": "终止办理",
}

#: a listed case's status, as the queues and the search filter on it
LISTED: dict[str, str] = {"intake": "待受理", "in_progress": "办理中", **DELIVERIES}

#: how the result is handed over
METHODS: dict[str, str] = {"window": "窗口领取", "mail": "邮政寄递", "electronic": "电子送达"}

#: where a waiting step stands
POSITIONS: dict[str, str] = {
    "deciding": "部门办理中",
    "correction": "待申请人补正",
    "special_procedure": "特别程序中",
    "children": "子流程办理中",
}

#: whether a clock counts
CLOCK_STATES: dict[str, str] = {"running": "计时中", "paused": "暂停计时", "stopped": "已停止"}

#: where a clock stands against its limit
CLOCK_STATUSES: dict[str, str] = {
    "normal": "正常",
    "warning": "临近到期",
    "overdue": "已超期",
    "met": "按时完成",
    "late": "超期完成",
}

#: why a clock is paused (the engine's reasons)
PAUSES: dict[str, str] = {
    "correction": "补正期间",
    "special procedure": "特别程序期间",
    "special procedure (行政许可法 art. 45)": "特别程序期间（行政许可法第四十五条）",
    "waiting on the applicant": "等待申请人",
    "waiting on promised materials": "等待容缺材料",
}

#: the clocks that are not a step's
CLOCKS: dict[str, str] = {"case": "整体办理时限", "delivery": "送达时限（行政许可法第四十四条）"}

#: a commitment (告知承诺) and its verification
COMMITMENTS: dict[str, str] = {"pending": "待核查", "confirmed": "核查属实",
                               "revoked": "核查不实，已撤销"}

#: who acts
ROLES: dict[str, str] = {
    "applicant": "申请人",
    "agent": "申请人授权的代理人",
    "window": "窗口",
    "department": "部门经办人",
    "supervisor": "部门负责人",
    "government_head": "本级人民政府负责人",
    "system": "系统",
}

#: the window's one notice at intake, as a correction
INTAKE_NOTICE = "一次性告知补正"


def title(table: Mapping[str, str], code: str) -> str:
    """The display name of ``code`` in ``table``, or the code itself when it has none."""
    return table.get(code, code)


__all__ = ["ACTIONS", "CLOCKS", "CLOCK_STATES", "CLOCK_STATUSES", "COMMITMENTS", "DELIVERIES",
           "HISTORY", "INTAKE_NOTICE", "LISTED", "METHODS", "OUTCOMES", "PAUSES", "POSITIONS",
           "ROLES", "ROUNDS", "STATUSES", "title"]


#: a limit's unit as Chinese says it
_UNITS = {"WD": "个工作日", "ND": "日", "WH": "个工作小时", "NH": "小时"}


def duration_title(text: str) -> str:
    """A limit as Chinese reads it: ``3 WD`` -> ``3个工作日``, ``30 ND`` -> ``30日`` (the
    text as given when it is not a limit)."""
    amount, _, unit = text.strip().partition(" ")
    return f"{amount}{_UNITS[unit]}" if unit in _UNITS and amount.isdigit() else text


def date_title(value: object, lang: str = "zh") -> str:
    """A date as notices and messages print it: ``2026年10月15日`` (``2026-10-15`` in
    English), from a moment or its ISO text; ``—`` when there is none, the text as given when
    it is not a moment."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, str) and value:
        try:
            day = datetime.fromisoformat(value).date()
        except ValueError:
            return value
    else:
        return "—"
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()
