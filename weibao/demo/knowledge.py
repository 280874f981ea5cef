"""Demo knowledge base: published how-to articles and FAQ of the demo customers' systems, so the
portal's knowledge pages, search and suggestions have something to show on a first start.

Every article is written and published through the knowledge services (engineer writes, manager
publishes), so revisions, events and the search index are genuine. Idempotent: nothing is made when
the "demo-ops" category exists.
"""

from __future__ import annotations

from django.db import transaction

from weibao.accounts.models import Organisation, User
from weibao.customers.models import System
from weibao.knowledge.models import Audience, Category
from weibao.knowledge.services import article_create, article_transition, category_create
from weibao.search.index import index_objects

CATEGORIES = [("demo-ops", "运维操作"), ("demo-faults", "故障处理"), ("demo-faq", "常见问题")]

# (category slug, system code or "", audience, org code for "orgs", is FAQ, title, summary, tags, body in Markdown)
ARTICLES: list[tuple[str, str, str, str, bool, str, str, str, str]] = [
    ("demo-faults", "gov-share", Audience.PUBLIC, "", False, "数据交换节点同步中断的排查步骤",
     "区县节点向市级平台同步中断时，按网络、证书、队列三步排查。", "交换节点,同步,证书",
     "## 现象\n\n交换日志出现“连接被拒绝”或“证书校验失败”，市级平台长时间收不到区县数据。\n\n"
     "## 排查步骤\n\n1. 在交换节点服务器上执行 `telnet 市级平台地址 8443`，确认网络和防火墙放通。\n"
     "2. 在节点管理页查看证书有效期；证书过期需在平台“证书管理”中重新签发并下载到节点。\n"
     "3. 查看节点的待发送队列，积压超过 10 万条时先暂停非关键任务，待队列回落再恢复。\n\n"
     "## 仍未恢复\n\n请在门户提交故障请求，附上最近一小时的交换日志。"),
    ("demo-ops", "gov-share", Audience.ORGS, "hzgov", False, "接口网关新增白名单 IP 的方法",
     "新服务器访问共享接口前，需要由管理员在接口网关中登记 IP。", "接口网关,白名单",
     "## 操作步骤\n\n1. 使用管理员账号登录接口网关控制台。\n2. 进入“访问控制 → IP 白名单”，点击“新增”。\n"
     "3. 填写服务器 IP（支持 CIDR，如 10.12.0.0/24）和用途说明，保存后约 1 分钟生效。\n\n"
     "## 注意\n\n白名单变更会记录审计日志；外网地址需经数据局审批后再登记。"),
    ("demo-faults", "dispatch", Audience.PUBLIC, "", False, "调度台画面卡顿的常见原因与处理",
     "交接班高峰期调度台刷新慢，多数与实时数据订阅过多或浏览器缓存有关。", "调度台,卡顿,性能",
     "## 常见原因\n\n* 同时打开的实时画面过多，每个画面都订阅全部测点。\n* 浏览器缓存过大或使用了旧版浏览器。\n"
     "* 报表服务在整点批量计算，占用数据库连接。\n\n## 处理方法\n\n1. 关闭不需要的实时画面，只保留本岗位画面。\n"
     "2. 清理浏览器缓存，使用 Chrome 100 以上版本。\n3. 如整点前后卡顿明显，请联系我们调整报表计算时间。"),
    ("demo-ops", "dispatch", Audience.PUBLIC, "", False, "生产月报合计与明细不一致时如何核对",
     "合计数来自月末快照，明细来自每日记录；补录数据后需要重新生成月报。", "报表服务,月报,数据核对",
     "## 原因\n\n月报“合计”取自月末 24:00 的快照，“明细”按每日记录汇总。月末之后补录或修改了日报，两者就会不一致。\n\n"
     "## 核对与处理\n\n1. 在“报表服务 → 月报”中查看生成时间。\n2. 对比日报的最后修改时间，若晚于月报生成时间，点击“重新生成”。\n"
     "3. 重新生成后仍不一致，请提交请求并注明报表名称和月份。"),
    ("demo-faults", "his", Audience.PUBLIC, "", False, "门诊医生工作站无法登录的处理",
     "提示“数据库连接池耗尽”或“账号已锁定”时的处理方法。", "医院信息系统,门诊,登录",
     "## 提示“账号已锁定”\n\n连续 5 次输错密码会锁定 30 分钟，可由信息科在“用户管理”中解锁。\n\n"
     "## 提示“数据库连接池耗尽”\n\n多发生在早上 8 点挂号高峰。请信息科检查应用服务器连接池配置（建议不少于 200），"
     "并确认没有长时间未结束的统计查询。\n\n## 其他情况\n\n请截图错误提示并提交请求。"),
    ("demo-ops", "", Audience.INTERNAL, "", False, "现场支持前的准备清单（内部）",
     "工程师去客户现场前需要确认的事项。", "现场支持,内部",
     "1. 确认合同是否在免费维护期内，收费服务需客户书面确认费用。\n2. 带好远程工具安装包和客户的 VPN 账号。\n"
     "3. 提前与客户联系人确认到场时间和机房门禁。\n4. 回来后当天在请求中登记工时和处理结果。"),
    ("demo-faq", "", Audience.PUBLIC, "", True, "如何提交服务请求？",
     "门户、邮件和电话都可以提交，门户提交最快进入处理。", "服务请求,门户",
     "## 解答\n\n登录客户门户，点击“提交请求”，选择系统并描述现象、出现时间和影响范围，可以附上截图或日志。"
     "也可以发送邮件到服务邮箱，或拨打服务热线，我们会为您登记请求并通过邮件告知请求编号。"),
    ("demo-faq", "", Audience.PUBLIC, "", True, "多长时间内会有人响应？",
     "按合同约定：一般请求 4 个工作小时内响应，紧急故障 2 小时内。", "响应时间,SLA",
     "## 解答\n\n提交后您会在门户看到承诺的响应和解决时限。紧急故障请同时拨打服务热线，"
     "值班工程师会在 2 小时内与您联系；一般请求在 4 个工作小时内响应。"),
    ("demo-faq", "", Audience.PUBLIC, "", True, "忘记门户密码怎么办？",
     "在登录页点击“忘记密码”，通过注册邮箱重置。", "密码,登录",
     "## 解答\n\n在门户登录页点击“忘记密码”，输入注册邮箱，按邮件中的链接设置新密码。"
     "如果邮箱已变更，请联系贵单位的客户管理员或服务经理为您修改。"),
]


@transaction.atomic
def load() -> bool:
    if Category.objects.filter(slug="demo-ops").exists():
        return False
    writer = User.objects.get(username="eng_zhao")
    reviewer = User.objects.get(username="manager")
    categories = {slug: category_create(actor=writer, name=name, slug=slug) for slug, name in CATEGORIES}
    ids: list[int] = []
    for slug, system_code, audience, org_code, is_faq, title, summary, tags, body in ARTICLES:
        systems = list(System.objects.filter(code=system_code)) if system_code else []
        orgs = list(Organisation.objects.filter(code=org_code)) if org_code else []
        article = article_create(actor=writer, title=title, summary=summary, body=body, category=categories[slug], tags=tags,
                                 systems=systems, audience=audience, organisations=orgs, is_faq=is_faq)
        article_transition(actor=writer, article=article, transition="submit")
        article_transition(actor=reviewer, article=article, transition="publish")
        ids.append(article.id)
    # The outbox would index them too; the portal should show them before the worker has run.
    index_objects("article", ids)
    return True
