"""Demo service requests: realistic Chinese requests of the three demo customers, in every stage of the workflow.

Every request is made and moved by the real services, so numbers, events and the outbox are genuine.
Idempotent: nothing is made when a request tagged "demo" exists.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from weibao.accounts.models import Contact, User
from weibao.customers.models import System
from weibao.tickets.models import CannedReply, Ticket
from weibao.tickets.services import ticket_assign, ticket_create, ticket_record_consent, ticket_reply, ticket_transition
from weibao.tickets.services_work import ticket_follow_up, ticket_log_time, ticket_survey_answer

# (system code, requester username, channel, type, urgency, impact, subject, description, the path it took)
REQUESTS: list[tuple[str, str, str, str, str, str, str, str, list[str]]] = [
    ("gov-share", "hz_user", "portal", "fault", "high", "high", "数据交换节点同步中断",
     "今天上午 9:20 起，区县节点向市级平台的数据同步全部中断，交换日志报“连接被拒绝”。", ["assess", "assign", "start"]),
    ("gov-share", "hz_admin", "email", "consultation", "low", "low", "接口网关如何新增白名单 IP",
     "新采购的服务器需要访问共享接口，请问白名单在哪里配置？", ["assess", "assign", "start", "resolve", "confirm"]),
    ("gov-share", "hz_user", "phone", "fault", "medium", "medium", "数据目录检索结果为空",
     "在数据目录中按部门检索，结果总是为空，按名称检索正常。", ["assess", "assign", "start", "request_info"]),
    ("gov-share", "hz_user", "portal", "service_request", "medium", "low", "申请开通测试环境账号",
     "新入职的两位同事需要测试环境账号，用于接口联调。", ["assess", "assign", "start", "resolve"]),
    ("gov-share", "hz_admin", "portal", "customisation", "low", "medium", "希望增加按周导出交换统计报表",
     "目前只能按月导出，领导希望每周一看到上周的交换量。", ["decline"]),
    ("dispatch", "sn_user", "phone", "fault", "high", "medium", "调度台画面卡顿，刷新需要十几秒",
     "早班交接时调度台画面明显卡顿，影响值班。", ["assess", "assign", "start", "third_party"]),
    ("dispatch", "sn_admin", "email", "fault", "medium", "medium", "月报表合计数与明细不一致",
     "10 月生产月报中“原煤产量”合计比明细之和多 120 吨。", ["assess", "assign", "start", "consent", "resolve_fix"]),
    ("dispatch", "sn_user", "portal", "upgrade", "low", "low", "移动端升级到 5.1 版本",
     "希望移动端支持新的审批流程。", ["assess", "assign"]),
    ("dispatch", "sn_admin", "phone", "training", "low", "medium", "新调度员系统操作培训",
     "下月有 6 名新调度员入职，需要安排一次系统操作培训。", ["assess", "assign", "start", "resolve", "confirm", "survey"]),
    ("dispatch", "sn_user", "portal", "fault", "medium", "high", "报表服务偶发 502 错误",
     "下午 3 点左右访问报表偶尔出现 502，刷新后恢复。", []),
    ("his", "gz_user", "phone", "fault", "high", "high", "门诊挂号收费窗口无法打印发票",
     "全部收费窗口打印发票时报“打印机未就绪”，已重启打印机无效。", ["assess", "assign", "start", "resolve", "reject"]),
    ("his", "gz_user", "portal", "fault", "medium", "medium", "住院医嘱执行后状态未更新",
     "护士站执行医嘱后，医生站仍显示“未执行”。", ["assess", "assign", "start", "resolve", "confirm", "followup"]),
    ("lis", "gz_user", "email", "fault", "medium", "low", "检验仪器接口数据延迟",
     "血球仪结果回传到 LIS 有 10 分钟左右延迟。", ["assess"]),
    ("his", "gz_user", "portal", "complaint", "medium", "low", "上次上门服务未提前通知",
     "工程师上门前没有提前电话联系，科室无人接待。", ["assess", "assign", "start", "resolve", "confirm"]),
    ("lis", "gz_user", "portal", "consultation", "low", "low", "LIS 报告模板能否增加医院 Logo", "", []),
]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _advance(ticket: Ticket, steps: list[str], manager: User, eng: User, customer: User) -> None:
    def fire(actor: User | None, name: str, **params: Any) -> None:
        nonlocal ticket
        ticket = ticket_transition(actor=actor, ticket=ticket, transition=name, **params)

    for step in steps:
        if step == "assess":
            fire(manager, "assess", maintenance_category="corrective" if ticket.type == "fault" else "perfective",
                 assessment_note="经评估属于维护范围。")
        elif step == "assign":
            ticket = ticket_assign(actor=manager, ticket=ticket, assignee=eng)
        elif step == "start":
            fire(eng, "start")
            ticket_reply(actor=eng, ticket=ticket, body=f"您好，{ticket.number} 已由我负责处理，正在排查。")
            ticket_log_time(actor=eng, ticket=ticket, mode="remote", minutes=40, note="远程登录排查")
        elif step == "request_info":
            fire(eng, "request_info", note="需要客户提供截图")
            ticket_reply(actor=eng, ticket=ticket, body="请提供出错时的**截图**和操作时间，谢谢。")
        elif step == "third_party":
            ticket_reply(actor=eng, ticket=ticket, body="初步判断为数据库服务器磁盘 IO 过高，已联系硬件厂商。", internal=True)
            fire(eng, "wait_third_party", note="等待硬件厂商更换磁盘")
        elif step == "consent":
            ticket_record_consent(actor=eng, ticket=ticket, note="电话联系张伟主任，同意修正 10 月原煤产量明细数据。")
        elif step in ("resolve", "resolve_fix"):
            method = "data_fix" if step == "resolve_fix" else "configuration"
            fire(eng, "propose_resolution", resolution_method=method, resolution_root_cause="配置与现场环境不一致。",
                 resolution_text="已调整相关配置并与客户共同验证，功能恢复正常。")
        elif step == "confirm":
            fire(customer, "confirm")
        elif step == "reject":
            fire(customer, "reject", reason="部分窗口仍然无法打印。")
        elif step == "decline":
            fire(manager, "decline", reason="属于新功能开发，不在本合同维护范围内，建议另行签订开发合同。")
        elif step == "survey":
            ticket_survey_answer(actor=customer, ticket=ticket, rating=5, comment="培训内容实用，讲解耐心。")
        elif step == "followup":
            ticket_follow_up(actor=manager, ticket=ticket, result="satisfied", note="电话回访，护士长表示问题已解决。")


@transaction.atomic
def load() -> bool:
    if Ticket.objects.filter(tags__icontains="demo").exists():
        return False
    manager, engineers = _user("manager"), [_user("eng_zhao"), _user("eng_sun"), _user("eng_qian"), _user("eng_li")]
    if manager is None or None in engineers:
        return False
    for i, (code, username, channel, type_, urgency, impact, subject, description, steps) in enumerate(REQUESTS):
        system = System.objects.filter(code=code).select_related("organisation").first()
        customer = _user(username)
        if system is None or customer is None:
            continue
        contact = Contact.objects.filter(user=customer).first()
        ticket = ticket_create(actor=customer if channel == "portal" else manager, organisation=system.organisation,
                               subject=subject, description=description or subject, channel=channel, requester=contact,
                               system=system, type=type_, urgency=urgency, impact=impact, tags=["demo"])
        _advance(ticket, steps, manager, engineers[i % len(engineers)], customer)  # type: ignore[arg-type]
    for title, body in [
        ("已受理", "{requester}您好，您的服务请求 {number} 已受理，工程师将尽快与您联系。"),
        ("请补充信息", "您好，为尽快定位问题，请提供出错时间、操作步骤和截图。"),
        ("已解决请确认", "您好，请求 {number} 已处理完毕，请在门户中确认；如仍有问题可直接回复。"),
    ]:
        CannedReply.objects.get_or_create(title=title, defaults={"body": body})
    return True
