"""The parser: every charset Chinese mail comes in, headers, file names, HTML, quotes, machine mail."""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mail.samples import GB18030_ONLY, GBK_ONLY, encoded_word, make_mail
from weibao.mail.charsets import decode_bytes, decode_header_value
from weibao.mail.htmltext import html_to_text, sanitize_html
from weibao.mail.machine import MachineKind
from weibao.mail.parsing import parse_message

CHINESE = "您好，系统登录后白屏，报错“会话已过期”，请尽快处理。"


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        ("utf-8", "utf-8", CHINESE),
        ("gb2312", "gb2312", CHINESE),
        ("GB2312", "gbk", CHINESE + GBK_ONLY),  # GBK-only characters under a GB2312 label
        ("gbk", "gbk", CHINESE + GBK_ONLY),
        ("gbk", "gb18030", CHINESE + GB18030_ONLY),  # GB18030-only under a GBK label
        ("gb18030", "gb18030", CHINESE + GBK_ONLY + GB18030_ONLY),
        ("big5", "big5", "您好，系統登錄後白屏，請盡快處理。"),
        ("iso-2022-jp", "iso-2022-jp", "システム障害のお知らせ、至急対応してください。"),
        ("utf-8", "utf-8", "混合 English 与中文 and emoji 🙂"),
    ],
)
def test_chinese_body_and_headers_decode_in_every_charset(label: str, codec: str, text: str) -> None:
    raw = make_mail(body=text, charset=label, codec=codec, subject=text[:12], from_name=text[:2])
    mail = parse_message(raw)
    assert mail.text == text
    assert mail.subject == text[:12]
    assert mail.from_name == text[:2]
    assert mail.from_addr == "lilei@customer.example.cn"
    assert "\ufffd" not in mail.text


def test_gbk_characters_in_quoted_printable_gb2312_body() -> None:
    body = "故障：" + GBK_ONLY
    raw = make_mail(body=body, charset="gb2312", codec="gbk", cte="8bit")
    assert parse_message(raw).text == body


def test_undeclared_8bit_gbk_body_and_raw_gbk_subject_are_recovered() -> None:
    raw = (
        b"From: a@b.cn\r\nTo: support@weibao.test\r\nSubject: " + "服务器宕机".encode("gbk") + b"\r\n"
        b"Message-ID: <raw8@b.cn>\r\n\r\n" + "数据库连接失败".encode("gbk") + b"\r\n"
    )
    mail = parse_message(raw)
    assert mail.subject == "服务器宕机"
    assert mail.text == "数据库连接失败"


def test_utf8_under_ascii_label_is_not_mojibake() -> None:
    raw = make_mail(body="中文正文", charset="us-ascii", codec="utf-8", cte="8bit")
    assert parse_message(raw).text == "中文正文"


def test_rfc2047_mixed_words_and_folding() -> None:
    value = f"{encoded_word('关于合同', 'gb2312', 'gbk')}\r\n {encoded_word('续签的问题', 'utf-8')} [SR-2026-000123]"
    assert decode_header_value(value) == "关于合同续签的问题 [SR-2026-000123]"


def test_rfc2231_and_rfc2047_attachment_names() -> None:
    name = "故障截图（镕）.png"
    rfc2231 = "filename*=gb2312''" + urllib.parse.quote(name.encode("gbk"))
    rfc2047 = f'filename="{encoded_word("运行日志.txt", "utf-8")}"'
    rfc2231_utf8 = "filename*=UTF-8''" + urllib.parse.quote("合同扫描件.pdf".encode())
    raw = make_mail(attachments=[
        (rfc2231, "image/png", b"\x89PNG\r\n\x1a\nfake"),
        (rfc2047, "text/plain", "日志内容".encode()),
        (rfc2231_utf8, "application/pdf", b"%PDF-1.4 fake"),
    ])
    mail = parse_message(raw)
    assert [a.filename for a in mail.attachments] == [name, "运行日志.txt", "合同扫描件.pdf"]
    assert mail.attachments[0].data == b"\x89PNG\r\n\x1a\nfake"
    assert mail.text == "系统登录后白屏，请尽快处理。"


def test_html_is_sanitised_and_turned_into_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>您好，<b>系统</b>无法登录。</p><p onclick='x()'>请看<a href='javascript:evil()'>这里</a></p>"
        "<img src='http://tracker.example/x.gif' onerror='steal()'><br>谢谢</body></html>"
    )
    clean = sanitize_html(html)
    assert "script" not in clean and "onclick" not in clean and "javascript:" not in clean and "onerror" not in clean
    assert "<b>系统</b>" in clean
    assert [ln for ln in html_to_text(html).splitlines() if ln] == ["您好，系统无法登录。", "请看这里", "谢谢"]


def test_html_only_mail_gives_text_and_quoted_history() -> None:
    html = (
        "<div>问题已经解决了，谢谢！</div><div><br></div>"
        "<div>------------------&nbsp;原始邮件&nbsp;------------------</div>"
        "<div>发件人: 维保服务台 &lt;support@weibao.test&gt;</div><div>发送时间: 2026年3月1日</div>"
        "<div>主题: [SR-2026-000001] 系统无法登录</div><blockquote>请问现在还能复现吗？</blockquote>"
    )
    raw = make_mail(body="", html=html)
    mail = parse_message(raw)
    assert mail.new_text == "问题已经解决了，谢谢！"
    assert "原始邮件" in mail.quoted and "请问现在还能复现吗" in mail.quoted


@pytest.mark.parametrize(
    ("text", "new", "quoted_start", "signature"),
    [
        ("好的，明天上午去现场。\n\n在 2026年3月1日 10:00，维保服务台 <support@weibao.test> 写道：\n> 请确认时间",
         "好的，明天上午去现场。", "在 2026年3月1日", ""),
        ("已重启，恢复正常。\n\n-----原始邮件-----\n发件人: support@weibao.test\n发送时间: 2026-03-01\n主题: x",
         "已重启，恢复正常。", "-----原始邮件-----", ""),
        ("收到\n\n发件人: 维保服务台\n发送时间: 2026年3月1日 10:00\n收件人: 李雷\n主题: 回复：故障\n\n原文",
         "收到", "发件人: 维保服务台", ""),
        ("请查看附件日志。\n\n--\n李雷\n信息中心\n\n> 上一封邮件", "请查看附件日志。", "> 上一封邮件", "--\n李雷\n信息中心"),
        ("可以关闭了\n\n发自我的iPhone", "可以关闭了", "", "发自我的iPhone"),
    ],
)
def test_quoted_history_and_signature_are_separated_and_kept(text: str, new: str, quoted_start: str, signature: str) -> None:
    mail = parse_message(make_mail(body=text))
    assert mail.new_text == new
    assert mail.quoted.startswith(quoted_start)
    assert mail.signature == signature


def test_talon_standard_replies_keep_only_the_new_text(shared_data_dir: Path) -> None:
    folder = shared_data_dir / "mail" / "talon" / "standard_replies"
    results = {p.name: parse_message(p.read_bytes()) for p in sorted(folder.glob("*.eml"))}
    assert len(results) >= 10
    for name, mail in results.items():
        assert mail.new_text.strip() == "Hello", (name, mail.new_text)
        assert mail.quoted, name
    assert results["iphone.eml"].signature == "Sent from my iPhone"


def test_every_fixture_parses_without_losing_the_message(shared_data_dir: Path) -> None:
    files = [p for p in (shared_data_dir / "mail").rglob("*.eml")]
    assert len(files) > 150
    for path in files:
        mail = parse_message(path.read_bytes())
        assert isinstance(mail.text, str) and isinstance(mail.subject, str)



@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("flanker/bounce/office365.eml", MachineKind.BOUNCE),
        ("flanker/bounce/gmail-invalid-address.eml", MachineKind.BOUNCE),
        ("flanker/bounce/mailbox-full.eml", MachineKind.BOUNCE),
        ("flanker/bounce/zed.eml", MachineKind.BOUNCE),
        ("flanker/complaints/aol.eml", MachineKind.COMPLAINT),
        ("flanker/complaints/yahoo.eml", MachineKind.COMPLAINT),
        ("flanker/disposition-notification.eml", MachineKind.RECEIPT),
        ("ruby-mail/multipart_report_emails/report_530.eml", MachineKind.BOUNCE),
        ("talon/standard_replies/gmail.eml", MachineKind.HUMAN),
        ("django-helpdesk/quoted_printable.eml", MachineKind.HUMAN),
    ],
)
def test_machine_mail_is_recognised_in_fixtures(shared_data_dir: Path, fixture: str, kind: MachineKind) -> None:
    path = shared_data_dir / "mail" / fixture
    if not path.exists():
        pytest.skip(f"{fixture} not in this copy of the test material")
    assert parse_message(path.read_bytes()).machine.kind == kind


def test_bounce_report_names_the_original_message_and_recipient(shared_data_dir: Path) -> None:
    mail = parse_message((shared_data_dir / "mail" / "flanker/bounce/office365.eml").read_bytes())
    assert mail.report is not None
    assert mail.report.original_message_ids == ["20171013111011.20866.254C2F3A4D7AA526@ninomail.com"]
    assert mail.report.recipients == ["noname@example.com"]
    assert mail.report.status.startswith("5.")


@pytest.mark.parametrize(
    ("headers", "subject", "kind"),
    [
        ({"Auto-Submitted": "auto-replied"}, "回复：系统无法登录", MachineKind.AUTO_REPLY),
        ({"Auto-Submitted": "no"}, "系统无法登录", MachineKind.HUMAN),
        ({"X-Autoreply": "yes"}, "系统无法登录", MachineKind.AUTO_REPLY),
        ({"X-Autorespond": "1"}, "系统无法登录", MachineKind.AUTO_REPLY),
        ({"Precedence": "auto_reply"}, "系统无法登录", MachineKind.AUTO_REPLY),
        ({"Precedence": "bulk"}, "月度通讯", MachineKind.BULK),
        ({"Precedence": "junk"}, "促销", MachineKind.BULK),
        ({"Precedence": "list"}, "讨论", MachineKind.BULK),
        ({}, "自动回复：我正在休假", MachineKind.AUTO_REPLY),
        ({}, "Out of Office: back on Monday", MachineKind.AUTO_REPLY),
        ({"X-Failed-Recipients": "nobody@customer.example.cn"}, "退信", MachineKind.BOUNCE),
        ({"Return-Path": "<>"}, "Undelivered Mail Returned to Sender", MachineKind.BOUNCE),
        ({}, "系统无法登录", MachineKind.HUMAN),
    ],
)
def test_auto_replies_and_bounces_are_machine_mail(headers: dict[str, str], subject: str, kind: MachineKind) -> None:
    assert parse_message(make_mail(subject=subject, headers=headers)).machine.kind == kind


def test_mailer_daemon_sender_is_a_bounce() -> None:
    mail = parse_message(make_mail(from_addr="MAILER-DAEMON@mx.customer.example.cn", from_name="Mail Delivery System"))
    assert mail.machine.kind == MachineKind.BOUNCE


def test_message_ids_and_references_are_read() -> None:
    raw = make_mail(
        message_id="<reply-1@customer.example.cn>",
        headers={"In-Reply-To": "<wb.1.2@weibao.test>", "References": "<root@x> <wb.1.2@weibao.test>"},
    )
    mail = parse_message(raw)
    assert mail.message_id == "reply-1@customer.example.cn"
    assert mail.thread_ids == ["wb.1.2@weibao.test", "root@x"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_fuzz_arbitrary_bytes_never_raise(raw: bytes) -> None:
    mail = parse_message(raw)
    assert isinstance(mail.text, str)


_header_names = st.sampled_from(["Subject", "From", "To", "Content-Type", "Content-Transfer-Encoding",
                                 "Content-Disposition", "Message-ID", "References", "Return-Path", "Auto-Submitted"])
_header_values = st.one_of(
    st.text(max_size=80),
    st.sampled_from(['multipart/mixed; boundary="b"', "text/plain; charset=gb2312", "base64", "quoted-printable",
                     "attachment; filename*=gb2312''%D6%D0", "=?gb2312?B?1tDOxA==?=", "=?utf-8?q?=E4=B8?=", "<>",
                     "message/rfc822", "multipart/report; report-type=delivery-status"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_header_names, _header_values), max_size=8), st.binary(max_size=2000), st.booleans())
def test_fuzz_structured_messages_never_raise(headers: list[tuple[str, str]], body: bytes, boundary: bool) -> None:
    head = "".join(f"{k}: {v}\r\n".replace("\n", " ").replace("\r", " ")[:-2] + "\r\n" for k, v in headers)
    extra = b"--b\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + body + b"\r\n--b--\r\n" if boundary else body
    raw = head.encode("utf-8", "surrogateescape") + b"\r\n" + extra
    mail = parse_message(raw)
    assert isinstance(mail.subject, str) and isinstance(mail.text, str)


def test_decode_bytes_never_loses_text_for_wrong_labels() -> None:
    assert decode_bytes("中文".encode(), "gb2312") == "中文"  # UTF-8 under a GB2312 label
    assert decode_bytes("中文".encode("gbk"), "utf-8") == "中文"  # GBK under a UTF-8 label
    assert decode_bytes("中文".encode("gbk"), "no-such-charset") == "中文"
    assert decode_bytes(base64.b64decode("/w=="), None)  # undecodable byte is replaced, never raises


def test_nul_characters_never_reach_the_database_fields() -> None:
    raw = b"From: a\x00b <x@y.cn>\r\nSubject: =?utf-8?B?5LitAOaWhw==?=\r\nMessage-ID: <a\x00b@y.cn>\r\n\r\nbody\x00text\r\n"
    mail = parse_message(raw)
    assert "\x00" not in mail.subject + mail.text + mail.new_text + mail.from_name + mail.message_id
    assert mail.subject == "中文"
