"""Everything residents and workers read, in one place (Chinese first)."""

# general
APOLOGY = "抱歉，系统出了点问题，您的消息没有处理成功，请稍后再试。"
UNKNOWN_COMMAND = "没有「{command}」这个命令。发送「帮助」查看可以做什么。"
TOO_LONG = "消息太长了（超过{limit}字），请精简后再发。"
CONTROL_CHARS = "消息里有无法识别的特殊字符，请重新输入。"
NOT_ALLOWED = "抱歉，「{command}」只有{roles}可以使用。"
PRIVATE_ONLY = "「{command}」请私聊我使用。"

ROLE_NAMES = {
    "resident": "居民",
    "grid_worker": "网格员",
    "neighbor_lead": "邻长",
    "property": "物业",
    "community": "社区工作人员",
    "branch": "党支部",
    "canteen": "食堂",
    "admin": "管理员",
}

# help
HELP_HEADER = "您好，我是{community}的小区助手。您可以这样说："
HELP_FOOTER = "在群里请以命令开头（如「上报 …」），闲聊我不会打扰大家。"

# reports
REPORT_USAGE = "用法：上报 楼栋 隐患情况，例如：上报 3栋 楼道飞线充电"
REPORT_NEED_BUILDING = "请写明在哪一栋，例如：上报 3栋 {text}"
REPORT_NEED_TEXT = "请说明{place}发现了什么隐患，例如：上报 {place} 楼道飞线充电"
REPORT_FILED = (
    "已收到隐患上报 {number}（{place}：{text}），已转交{handler}处理。处理进展会私信告诉您。"
)
REPORT_FILED_UNKNOWN_BUILDING = (
    "已收到隐患上报 {number}（{text}）。本小区没有「{building}」，已转交社区{handler}核实处理。"
)
REPORT_UNREACHABLE = "（{name}暂时无法接收私信提醒，请管理员协助联系。）"
REPORT_URGENT_FIRE = "⚠️ 如有明火或浓烟，请立即拨打{line}，并从楼梯撤离，不要乘电梯！"
REPORT_URGENT_GAS = (
    "⚠️ 疑似燃气泄漏：请关闭燃气阀门、开窗通风，不要开关电器、不要用明火，并拨打{line}。"
)
ALERT = (
    "【隐患上报 {number}】{urgent}\n"
    "地点：{place}\n"
    "类别：{category}\n"
    "内容：{text}\n"
    "上报人：{reporter}{address}\n"
    "时间：{time}\n"
    "请尽快接单处理（{deadline}前）。"
)
ALERT_URGENT_MARK = "【紧急】"
ALERT_UNKNOWN_BUILDING = "\n注意：本小区楼栋名单中没有「{building}」，请核实地点。"
ACK_BUTTON = "接单 {number}"
RESOLVE_BUTTON = "办结 {number}"

TICKET_USAGE = "用法：{verb} H1（工单号）"
RESOLVE_USAGE = "用法：办结 H1 处理说明，例如：办结 H1 已清理"
NO_SUCH_REPORT = "没有找到工单 {number}，请核对工单号。"
NOT_YOUR_REPORT = "工单 {number} 不是派给您的，无法操作。"
ALREADY_ACKED = "工单 {number} 已经接单了。"
ALREADY_RESOLVED = "工单 {number} 已经办结了。"
ACKED_WORKER = "已接单 {number}，请在{deadline}前办结。办结后回复「办结 {number} 处理说明」。"
ACKED_REPORTER = "您上报的隐患 {number}（{place}：{text}）已由{worker}接单，正在处理。"
RESOLVED_WORKER = "已办结 {number}，已通知上报人。"
RESOLVED_REPORTER = "您上报的隐患 {number}（{place}：{text}）已办结。处理说明：{note}"
NO_NOTE = "（无）"

MY_NONE = "您目前没有未办结的上报。"
MY_HEADER = "您未办结的上报："
MY_LINE = "{number} {place} {text} —— {status}"
TICKETS_NONE = "您目前没有待办工单。"
TICKETS_HEADER = "您的待办工单："
TICKET_LINE = "{number} {place} {text} —— {status}（{due}）"
STATUS_OPEN = "待接单"
STATUS_ACKED = "处理中（{worker}）"
STATUS_RESOLVED = "已办结"
DUE_ACK = "{time}前接单"
DUE_RESOLVE = "{time}前办结"

ESCALATED_UP = "【超时未接单 {number}】以下隐患上报在{deadline}前无人接单，现转交您处理：\n{alert}"
ESCALATED_DOWN = "工单 {number} 超时未接单，已上报{level}（{who}）。请尽快处理。"
LEVEL_NAMES = ("网格员", "社区", "党支部")

# time
TIME_FORMAT = "{month}月{day}日 {hour:02d}:{minute:02d}"
