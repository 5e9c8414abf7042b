"""Everything residents and workers read, in one place (Chinese first)."""

# general
APOLOGY = "抱歉，系统出了点问题，您的消息没有处理成功，请稍后再试。"
UNKNOWN_COMMAND = "没有「{command}」这个命令。发送「帮助」查看可以做什么。"
TOO_LONG = "消息太长了（超过{limit}字），请精简后再发。"
CONTROL_CHARS = "消息里有无法识别的特殊字符，请重新输入。"
NOT_ALLOWED = "抱歉，「{command}」只有{roles}可以使用。"

ROLE_NAMES = {
    "resident": "居民",
    "grid_worker": "网格员",
    "neighbor_lead": "邻长",
    "group_lead": "组长",
    "volunteer": "志愿者",
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
REPORT_TWO_BUILDINGS = "您提到了{first}和{second}，一条上报只能交给一栋楼的网格员，请每栋分别上报，例如「上报 {first} …」「上报 {second} …」。这条还没有上报。"
REPORT_ASK_CONFIRM = "您是要上报隐患「{text}」吗？回复「是」就帮您上报；不是请忽略。"
REPORT_NOT_FILED = "好的，没有上报。需要时请写「上报 楼栋 情况」。"
# a yes to a question the bot asked (shall I report this? is this what you said?)
YES_WORDS = frozenset(
    {
        "是",
        "是的",
        "对",
        "对的",
        "没错",
        "好",
        "好的",
        "嗯",
        "要",
        "上报",
        "确认",
        "yes",
        "y",
        "ok",
        "1",
    }
)
REPORT_UNREACHABLE = "【提醒未送达】隐患上报 {number} 的提醒无法私信给{names}（未绑定账号或无法接收私信），请协助电话联系。发「无法联系」查看名单。"
REPORT_URGENT_FIRE = "⚠️ 如有明火或浓烟，请立即拨打{line}，并从楼梯撤离，不要乘电梯！"
STILL_HOLDING = "\n注意：{name}手上还有未办结的隐患 {numbers}，请用「转派 {first} 姓名」转给其他网格员，以免无人处理。"
ALERT_FOR_INFORMATION = "\n（抄送您知悉，请配合处理；接单、办结由网格员进行。）"
REPORT_URGENT_TRAPPED = "⚠️ 有人被困电梯：请被困的人按电梯里的警铃、拨打轿厢内的救援电话或{line}，不要扒门、不要自己爬出，等待救援！"
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
    "{due}"
)
ALERT_DUE_ACK = "请尽快接单处理（{deadline}前）。"
ALERT_DUE_RESOLVE = "请在{deadline}前办结。"
ALERT_URGENT_MARK = "【紧急】"
ALERT_UNKNOWN_BUILDING = "\n注意：本小区楼栋名单中没有「{building}」，请核实地点。"
ACK_BUTTON = "接单 {number}"
RESOLVE_BUTTON = "办结 {number}"

TICKET_USAGE = "用法：{verb} H1（工单号）"
ONE_TICKET_AT_A_TIME = "一次只能{verb}一个工单，请分别发送：{each}"
RESOLVE_USAGE = "用法：办结 H1 处理说明，例如：办结 H1 已清理"
NO_SUCH_REPORT = "没有找到工单 {number}，请核对工单号。"
NOT_YOUR_REPORT = "工单 {number} 不是派给您的，无法操作。"
ALREADY_ACKED = "工单 {number} 已经接单了。"
ALREADY_RESOLVED = "工单 {number} 已经办结了。"
ACKED_WORKER = "已接单 {number}，请在{deadline}前办结。办结后回复「办结 {number} 处理说明」。"
ACKED_REPORTER = "您上报的隐患 {number}（{place}：{text}）已由{worker}接单，正在处理。"
RESOLVED_WORKER = "已办结 {number}，已通知上报人。"
RESOLVED_WORKER_NOBODY = (
    "已办结 {number}。（上报人已无法联系，例如已删除个人信息，没有通知到任何人。）"
)
RESOLVE_NEED_NOTE = "请写上处理说明，上报人会看到，例如：办结 {number} 已清理楼道杂物"
RESOLVED_REPORTER = "您上报的隐患 {number}（{place}：{text}）已办结。处理说明：{note}"
NO_NOTE = "（无）"

PRIVATE_ONLY = "「{command}」请私聊我发送，群里不办理。"
SENT_PRIVATELY = "已私信您，请查看与我的私聊。"
WRITE_PRIVATELY = "这件事请私聊我，发送同样的话即可；群里不便回答。"
MY_NONE = "您目前没有未办结的上报或点单，也没有报餐或报名的活动。"
MY_HEADER = "您未办结的上报："
MY_LINE = "{number} {place} {text} —— {status}"
MY_FOLLOWED = "（您关注的）"
MY_ORDERS_HEADER = "您的点单："
MY_ORDER_LINE = "{number} {service}{wanted} —— {status}"
TICKETS_NONE = "您目前没有待办工单。"
TICKETS_HEADER = "您的待办工单："
TICKET_LINE = "{number} {place} {text} —— {status}（{due}）"
STATUS_OPEN = "待接单"
STATUS_ACKED = "处理中（{worker}）"
STATUS_RESOLVED = "已办结"
DUE_ACK = "{time}前接单"
DUE_RESOLVE = "{time}前办结"

ESCALATED_UP = "【超时未接单 {number}】以下隐患上报在{deadline}前无人接单，现转交您处理：\n{alert}"
ESCALATED_UP_URGENT = "【超时未接单 {number}】紧急上报 {number}（{place}：{text}）在{deadline}前仍无人接单，现由您处理，请立即接单（详情见此前的紧急上报）。"
ESCALATED_DOWN = "工单 {number} 超时未接单，已上报{level}（{who}）。请尽快处理。"
LEVEL_NAMES = ("网格员", "社区", "党支部")

# time
TIME_FORMAT = "{month}月{day}日 {hour:02d}:{minute:02d}"

# reports in full
REPORT_ASK_BUILDING = "请问是在哪一栋？请直接回复楼栋，例如：3栋（10分钟内有效）。"
REPORT_ASK_AGAIN = "没看出是哪一栋，请回复楼栋，例如：3栋、三号楼。"
REPORT_ASK_CATEGORY = (
    "请问这是「{first}」还是「{second}」？请回复 1 或 2（1：{first}，2：{second}；10分钟内有效）。"
)
REPORT_ASK_CATEGORY_AGAIN = "请回复 1（{first}）或 2（{second}）。"
ALERT_RUNNER_UP = "\n也可能是「{second}」，请核实类别。"
REPORT_DUPLICATE = (
    "已有人上报 {number}（{place}：{text}），正在处理中。已把您加入关注，处理进展会私信告诉您。"
)
REPORT_DUPLICATE_OWN = "您已经上报过 {number}（{place}：{text}），正在处理中，请耐心等待。"
REPORT_SUPPLEMENTED = (
    "您已经上报过 {number}（{place}：{text}），正在处理中。您补充的情况「{more}」已转告处理人。"
)
FOLLOW_SUPPLEMENTED = (
    "您已经在关注 {number}（{place}：{text}），正在处理中。您补充的情况「{more}」已转告处理人。"
)
SUPPLEMENT_ALERT = "【{number} {who}补充】{name}补充：{more}"
SUPPLEMENT_BY_REPORTER = "上报人"
SUPPLEMENT_BY_FOLLOWER = "居民"
FOLLOW_ALERT = "【{number} 又有居民反映】{name}也反映了：{text}（共{count}人反映）"
FOLLOW_DONE = "已关注 {number}，处理进展会私信告诉您。"
FOLLOW_ALREADY = "您已经在关注 {number} 了。"
FOLLOW_USAGE = "用法：我也遇到 H1"
FOLLOWERS_LINE = "\n另有{count}位居民反映了同一问题。"
ON_BEHALF_USAGE = "用法：代报 居民姓名 楼栋 隐患情况，例如：代报 郭先德 5栋 楼道堆物"
ON_BEHALF_UNKNOWN = "没有找到居民「{name}」，请核对姓名。"
ON_BEHALF_FILED = "已为{name}代报隐患 {number}（{place}：{text}），已转交{handler}处理。"
# in a group: the resident's name stays out of it
ON_BEHALF_FILED_GROUP = "已代报隐患 {number}（{place}：{text}），已转交{handler}处理。"
ON_BEHALF_MARK = "（由{filer}代报）"

BIND_USAGE = "用法：绑定 楼栋单元门牌，例如：绑定 3栋2单元501"
BIND_UNKNOWN = "本小区没有「{building}」，请核对后再绑定。"
BIND_DONE = "已记录您的住址：{address}。以后上报时可以不写楼栋。"
BIND_DONE_GROUP = "已记录您的住址（详情已私信告诉您）。"

REASSIGN_USAGE = "用法：转派 H1 5栋 或 转派 H1 姓名"
REASSIGN_UNKNOWN = "没有找到「{target}」：请写本小区的楼栋（如 5栋）或工作人员姓名。"
REASSIGN_NOT_WORKER = "{name}不是工作人员，不能接收工单。"
REASSIGN_NO_ONE = "{building}没有网格员，无法转派。"
REASSIGN_SELF = "不能把 {number} 转派给自己。"
REASSIGN_SAME = "{number} 已经由{who}处理，不用转派。"
REASSIGN_TAKEN_AWAY = "工单 {number}（{place}：{text}）已由{by}转派给{who}，您不用再处理了。"
GRID_WORKER = "网格员"
GRID_BACKUP = "备岗"  # a grid's stand-in while all its workers are on leave
LEAVE_NOT_STAFF = "{name}不是工作人员（网格员、社区、物业等），不需要登记请假。"
TAKEN_BY_OTHER = "工单 {number}（{place}：{text}）已由{who}接单，您不用再处理了。"
REASSIGN_DONE = "已将 {number} 转派给{who}。"
REASSIGN_ALERT = "【工单转派 {number}】{by}把这个工单转给您处理：\n{alert}"
REASSIGN_REPORTER = "您上报的隐患 {number} 已转交{who}处理。"

NOTE_USAGE = "用法：备注 H1 说明，例如：备注 H1 已联系物业，明天上午处理"
NOTE_DONE = "已把备注告诉上报的居民。"
NOTE_REPORTER = "关于您上报的隐患 {number}（{place}）：{who}说：{note}"

RESOLVE_ASK_RATING = "请评价本次处理：回复「满意」「基本满意」或「不满意 原因」。"
RATING_NAMES = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
RATING_WORDS = {word: key for key, word in RATING_NAMES.items()}  # 满意 → satisfied
RATING_NOTHING = "您目前没有待评价的上报。"
RATING_NOT_YOURS = "工单 {number} 不是您上报或关注的，不能评价。"
RATING_NOT_RESOLVED = "工单 {number} 还没有办结，办结后再评价。"
RATING_THANKS = "感谢您的评价（{rating}）！"
RATING_THANKS_REPORT = "感谢您对 {number}（{place}）的评价（{rating}）！"
RATING_REOPENED = "已收到您的意见，{number} 已退回{worker}重新处理。"
REOPEN_ALERT = "【工单退回 {number}】居民{name}对处理结果不满意：{reason}\n请重新处理，办结后回复「办结 {number} 处理说明」。\n{alert}"
NO_REASON = "（未说明原因）"
RATING_NEED_REASON = "请说说哪里不满意，我们转告处理人重新处理，例如：不满意 {number} 还有人在充电"
RATING_ASK_REASON = "请直接回复 {number} 哪里不满意（例如：还有人在充电），我们转告处理人重新处理。"

RESOLVE_OVERDUE = "【办结超时提醒 {number}】{place} {text}\n已超过办结时限（{deadline}），请尽快处理；{grace}后仍未办结将上报{level}。"
RESOLVE_OVERDUE_TOP = (
    "【办结超时提醒 {number}】{place} {text}\n已超过办结时限（{deadline}），请尽快处理。"
)
RESOLVE_ESCALATED_UP = (
    "【超时未办结 {number}】{worker}接单后未在{deadline}前办结，请督办：\n{alert}"
)
RESOLVE_ESCALATED_DOWN = "工单 {number} 超时未办结，已上报{level}（{who}）督办。"
REPORT_QUESTION_EXPIRED = (
    "您刚才的上报「{text}」没有说明在哪一栋，已超时未提交。请重新发送，例如：上报 3栋 {text}"
)
REPORT_CATEGORY_EXPIRED = "您刚才的上报「{text}」（{building}）没有选是哪一类，已超时未提交。请重新发送，例如：上报 {building} {text}"
RECHECK = "【回头看 {number}】{place} {text}\n已于{resolved}办结，请到现场复查是否再次出现。"

HISTORY_HEADER = "{number} {place} {category}：{text}\n状态：{status}"
HISTORY_LINE = "{time} {what}{who}{note}"
HISTORY_NOT_ALLOWED = "只有上报人、关注的居民、处理人和管理人员可以查看 {number}。"
EVENT_NAMES = {
    "filed": "上报",
    "followed": "有居民也反映",
    "supplemented": "补充情况",
    "acknowledged": "接单",
    "resolved": "办结",
    "escalated": "超时未接单，上报",
    "resolve_overdue": "办结超时提醒",
    "resolve_escalated": "超时未办结，上报",
    "reassigned": "转派",
    "note": "备注",
    "rated": "评价",
    "reopened": "退回重办",
    "recheck": "回头看提醒",
}

# people the bot cannot reach
PLATFORM_NAMES = {"telegram": "Telegram", "wechat": "微信", "console": "控制台"}
UNREACHABLE_ADMIN = "【无法私信】{name}（{platform}）收不到机器人的私信：{reason}。请提醒其先私聊机器人发送 /start 或「帮助」。"
WHO_HEADER = "无法接收私信提醒的工作人员："
WHO_LINE = "· {name}（{roles}）：{why}"
WHO_BLOCKED = "{platform}自{since}起无法私信（{reason}）"
WHO_NO_ACCOUNT = "没有已启用平台的账号"
WHO_ALL_GOOD = "所有工作人员都能收到私信提醒。"

# scheduled notices
NOTICE_USAGE = "用法：通知 时间 [群=业主群] [置顶] 内容，例如：通知 每周五 19:00 请注意用电安全（内容写「消防轮播」则轮流发布内置的消防提醒）"
NOTICE_ADDED = "已安排通知 {number}：{schedule}，下次 {next}，发到：{targets}{pin}。"
NOTICE_IN_QUIET = "\n注意：{time} 在免打扰时段（{start}-{end}）内，不会当时发出，要等到 {end} 才和其他通知一起发。如不合适，请「删除通知 {number}」后换个时间。"
NOTICE_ALL_GROUPS = "全部群"
NOTICE_PIN = "（置顶）"
NOTICE_UNKNOWN_GROUP = "没有叫「{name}」的群。可以用的群：{known}"
NOTICE_EMPTY = "请写上通知的内容。"
NOTICE_NO_SUCH = "没有找到通知 {number}。"
NOTICE_LIST_NONE = "目前没有安排任何通知。"
NOTICE_LIST_HEADER = "已安排的通知："
NOTICE_LIST_LINE = "{number} {schedule} → {targets}【{status}】下次：{next}\n    {text}"
NOTICE_STATUS = {"active": "进行中", "paused": "已暂停", "done": "已结束", "deleted": "已删除"}
NOTICE_SKIPPED = "【通知未发布】{number}「{text}」原定 {time} 发布，错过了发布时间（机器人当时没有运行），没有发到群里{more}。如仍需要，请重新安排。"
NOTICE_SKIPPED_MORE = "（同一通知共错过{count}次）"
NOTICE_NO_NEXT = "无"
NOTICE_PAUSED = "已暂停通知 {number}。"
NOTICE_RESUMED = "已恢复通知 {number}，下次 {next}。"
NOTICE_DELETED = "已删除通知 {number}。"
NOTICE_ALREADY = "通知 {number} 已经是{status}状态。"
NOTICE_PREVIEW = "【通知预览 {number}】以下内容将在 {next} 发到{targets}：\n{text}"
NOTICE_SUB_USAGE = (
    "用法：/announce add|list|pause|resume|delete|test …，例如 /announce add 每周五 19:00 内容"
)
NOTICE_ROTATION = "消防轮播（{count}条内置提醒）"

# the canteen (长者食堂)
MEAL_NAMES = {"lunch": "午餐", "dinner": "晚餐"}
MEAL_USAGE = "用法：报餐 [今天/明天/周三/12月3日] [午餐/晚餐] [2份] [送餐] [备注]，例如：报餐 明天 午餐 送餐 少盐；替别人报：报餐 明天 代 郭先德"
MEAL_PAST_DAY = "{day}已经过去了，不能报餐。"
MENU_PAST_DAY = "{day}已经过去了，不能再设置菜单。"
MEAL_PAST_CUTOFF = "{day}{meal}的报餐已在 {cutoff} 截止，不能再报名或修改了。"
MEAL_TOO_FAR = "最多只能提前{days}天报餐（到 {last}）。"
MEAL_PORTIONS = "每人每餐最多{max}份。"
MEAL_NO_ADDRESS_SELF = (
    "送餐需要知道您的住址，请先发送「绑定 楼栋单元门牌」，例如：绑定 3栋2单元501。"
)
MEAL_NO_ADDRESS_OTHER = "{name}没有登记住址，不能送餐；可以先改为堂食，或请社区登记住址。"
MEAL_FULL = "{day}{meal}只剩{left}份了（限{capacity}份），请减少份数或换一天。"
MEAL_SOLD_OUT = "{day}{meal}已经订满了（限{capacity}份），请换一天或换一餐。"
MEAL_QUERY_UNCLEAR = "看不懂「{words}」。用法：{usage}"
MEAL_UNKNOWN_PERSON = "没有找到「{name}」，请核对姓名（老人需先在社区登记）。"
MEAL_NOT_UNDERSTOOD = "没看懂：{error}。没有报上，请重新写。\n{usage}"
RSVP_NOT_UNDERSTOOD = "没看懂：{error}。没有报上，请重新写。\n{usage}"
MEAL_DAY_ERROR = "{error}。" + "请这样写日期：今天、明天、周三、12月3日、2026-12-03。"
MEAL_SIGNED = "已{who}报餐：{day}{meal} {portions}份 {mode}{note}。{menu}{price}\n如需取消，请在 {cutoff} 前发送「{cancel}」。"
MEAL_SIGNED_UPDATED = "修改"  # 已{who}: 已修改为您报餐
MEAL_FOR_SELF = "为您"
MEAL_FOR_OTHER = "为{name}"
MEAL_TOLD_DINER = "{signer}为您报了餐：{day}{meal} {portions}份 {mode}{note}。"
MEAL_MENU = "菜单：{items}。"
MEAL_PRICE = "价格：{price}（{tier}）。"
MEAL_PRICE_ONLY = "价格：{price}。"
MEAL_MODE = {False: "堂食", True: "送餐"}
MEAL_NOTE = "，备注：{note}"
MEAL_CANCEL_USAGE = "用法：取消报餐 [明天] [午餐] [代 郭先德]"
MEAL_CANCEL_WHICH = "您报了好几顿：{meals}。请写明取消哪一顿，例如「取消报餐 明天 午餐」。"
MEAL_NOT_FOR_OTHERS = "替{name}报餐或取消，需要是同一户的家人、邻长、志愿者或社区工作人员。"
MEAL_NOTHING_TO_CANCEL = "{who}{day}{meal}没有报餐。"
MEAL_CANCELLED = "已取消{who}{day}{meal}的报餐。"
MEAL_CANCEL_BUTTON = "取消报餐"
MENU_HEADER = "{community}长者食堂 今天起七天的菜单："
MENU_LINE = "{day} {meal}：{items}"
MENU_NONE = "本周菜单还没有公布。"
MENU_CUTOFFS = "报餐截止：午餐当天 {lunch}，晚餐当天 {dinner}。"
MENU_PRICES = "价格：{tiers}"
MENU_SET_USAGE = "用法：设置菜单 12月1日 午餐 红烧鱼 青菜 米饭 12元"
MENU_SET_DONE = "已设置{day}{meal}菜单：{items}"
MEAL_SUMMARY_HEADER = "【长者食堂 {day}{meal} 报餐汇总】（{cutoff} 截止）\n共{people}人 {portions}份：堂食{dine}份，送餐{deliver}份"
MEAL_SUMMARY_DELIVERY = "送餐名单（按楼栋）："
MEAL_SUMMARY_DINE = "堂食名单："
MEAL_SUMMARY_BUILDING = "{building}："
MEAL_SUMMARY_LINE = "  {name} {address} {portions}份{note}{proxy}"
MEAL_SUMMARY_PROXY = "（{name}代报）"
MEAL_SUMMARY_NO_ADDRESS = "未登记住址"
MEAL_GRID_HEADER = "【送餐名单 {day}{meal} · {grid}】请安排志愿者送餐："
MEAL_MY_HEADER = "您的报餐："
MEAL_MY_LINE = "{day}{meal} {portions}份 {mode}{note}"
MEAL_STATUS_HEADER = (
    "{day}{meal} 目前报餐：{people}人 {portions}份（堂食{dine}份，送餐{deliver}份）{left}"
)
MEAL_STATUS_LEFT = "，还剩{left}份"
EXPORT_DONE = "已导出 {what}：{rows}行。"
EXPORT_FILE_ONLY_TEXT = "文件已生成：{path}（此平台无法直接发送文件）"

# events (活动) and RSVPs (报名)
EVENT_USAGE = "用法：发起活动 名称 12月5日 19:00 地点 [限30人] [群=业主群] [说明]，例如：发起活动 议事会 12月5日 19:00 党群服务中心 限30人；也可以只发「发起活动」一步步填写"
EVENT_PAST = "活动时间 {time} 已经过去了。"
EVENT_NO_GROUP = "没有可以发布的群：{why}"
EVENT_NOT_YOUR_GRID = "网格员只能把活动发到自己网格的群（{groups}）。"
EVENT_CREATED = "已发起活动 {number}：{title}，{time}，{place}{capacity}。已发到：{targets}。"
EVENT_POST = "【活动 {number}】{title}\n时间：{time}\n地点：{place}\n{capacity}{description}报名请回复「报名 {number}」，带家属请写「报名 {number} +2」。"
EVENT_POST_CAPACITY = "名额：{capacity}人（含家属）\n"
EVENT_RSVP_BUTTON = "报名"
EVENT_ASK_TITLE = "好的，我们一步步来。活动叫什么名字？（例如：议事会）"
EVENT_ASK_TIME = "活动什么时候开始？（例如：12月5日 19:00、明天 下午3点）"
EVENT_ASK_PLACE = "在哪里举行？（例如：党群服务中心）"
EVENT_ASK_CAPACITY = "限多少人（含家属）？不限人数请回复「不限」。"
EVENT_ASK_AGAIN_TIME = "没看懂时间，请这样写：12月5日 19:00、周六 上午9点。"
EVENT_ASK_AGAIN_CAPACITY = "请回复一个人数，例如 30，或「不限」。"
RSVP_USAGE = "用法：报名 E1，带家属：报名 E1 +2"
RSVP_NO_EVENT = "没有找到活动 {number}。发送「活动」查看可以报名的活动。"
RSVP_CLOSED = "活动 {number} 已{status}，不能报名了。"
RSVP_STARTED = "活动 {number} 已经开始，报名已截止。"
RSVP_GUESTS = "家属人数请写0到{max}之间，例如：报名 {number} +2"
RSVP_GOING = "已报名 {number}「{title}」：{people}人{guests}。{time}，{place}。活动前会提醒您。"
RSVP_REMINDER_PROMISE = "活动前会提醒您。"
RSVP_OVER_CAPACITY = "「{title}」限{capacity}人，您一共{people}人，超过了名额，没有为您报名。请少带几位再报名，例如「报名 {number}」只报您本人。"
RSVP_WAITLIST = "「{title}」名额已满，已把您排在候补第{position}位（{people}人）。有人取消时会按顺序递补并通知您。"
RSVP_UPDATED_GOING = "已修改 {number} 的报名：{people}人。"
RSVP_TOO_MANY = "「{title}」名额不够了：最多还能为您安排{left}人。"
RSVP_ALREADY = "您已经报名 {number} 了（{people}人）。"
RSVP_CANCELLED = "已取消 {number}「{title}」的报名。"
RSVP_NOTHING = "您没有报名 {number}。"
RSVP_PROMOTED = (
    "好消息：「{title}」有人取消，您已从候补转为正式报名（{people}人）。{time}，{place}。"
)
RSVP_GUESTS_PART = "（含家属{guests}人）"
EVENTS_NONE = "近期没有可以报名的活动。"
EVENTS_HEADER = "近期活动："
EVENTS_LINE = "{number} {title} {time} {place} —— {left}"
EVENTS_LEFT = "还剩{left}个名额"
EVENTS_FULL = "已满，可候补"
EVENTS_UNLIMITED = "不限人数，已报{taken}人"
EVENT_REMINDER_DAY = "【活动提醒】明天 {time} 在{place}有「{title}」（{number}），您已报名{people}人。不能参加请回复「取消报名 {number}」。"
EVENT_REMINDER_SOON = "【活动提醒】「{title}」（{number}）{time} 在{place}开始，别忘了哦。"
EVENT_DIGEST = "【报名进展 {number}】「{title}」已报名{taken}人{capacity}，候补{waiting}人。"
EVENT_DIGEST_CAPACITY = "（限{capacity}人）"
ROSTER_HEADER = "【{number} 名单】{title} {time} {place}\n已报名{taken}人{capacity}："
ROSTER_LINE = "{i}. {name}{guests}"
ROSTER_GUESTS = " +{guests}"
ROSTER_WAITLIST = "候补："
ROSTER_EMPTY = "（还没有人报名）"
NOT_ORGANISER = "只有活动发起人和管理员可以{action}。"
EVENT_CLOSED = "已关闭 {number} 的报名。"
EVENT_BAD_CAPACITY = "看不懂名额「{word}」：请写「限30人」（至少1人，含家属）；不限人数就不写。"
EVENT_STARTED = "活动 {number} 已于{time}开始，不能再{what}了。"
EVENT_ALREADY_CANCELLED = "活动 {number} 已经取消了。"
EVENT_CANCELLED = "已取消活动 {number}，已通知所有报名的居民。"
EVENT_CANCELLED_NOTICE = "很抱歉，活动「{title}」（{number}，{time}）取消了。"
EVENT_CANCELLED_POST = (
    "【活动取消】「{title}」（{number}，{time}）取消了，给大家带来不便，敬请谅解。"
)
EVENT_SUB_USAGE = "用法：/event new|list|roster|export|close|cancel …"
EVENT_MY_HEADER = "您报名的活动："
EVENT_MY_LINE = "{number} {title} {time} {place} —— {status}"
EVENT_MY_GOING = "已报名{people}人"
EVENT_MY_WAITLIST = "候补第{position}位"

# statistics (三率)
STATS_USAGE = "用法：统计 [2026-11 / 11月 / 上月]"
STATS_HEADER = "【{community} {month} 接诉即办统计】"
STATS_TOTALS = "受理{received}件，办结{resolved}件，超时{overdue}件"
STATS_RATES = "响应率 {response}｜解决率 {resolution}｜满意率 {satisfaction}"
STATS_MEDIANS = "接单用时中位数 {ack}，办结用时中位数 {resolve}"
STATS_CATEGORY_HEADER = "按类别："
STATS_GRID_HEADER = "按网格："
STATS_SLICE = "· {name}：受理{received} 办结{resolved} 响应率{response}"
STATS_MEALS = "助餐：共{portions}份（{days}天有人报餐，日均{avg}份）"
STATS_EVENTS = "活动：{count}场，报名{places}人次"
STATS_NONE = "—"
STATS_MONTHLY = "【月度报告】"
STATS_BAD_MONTH = "看不懂月份「{text}」。" + STATS_USAGE
EXPORT_REPORTS_USAGE = "用法：导出上报 [2026-11]"

# admin of people, roles and grids in chat
ROLE_WORDS = {
    "居民": "resident",
    "网格员": "grid_worker",
    "邻长": "neighbor_lead",
    "组长": "group_lead",
    "楼组长": "group_lead",
    "志愿者": "volunteer",
    "物业": "property",
    "社区": "community",
    "社区工作人员": "community",
    "党支部": "branch",
    "支部": "branch",
    "食堂": "canteen",
    "管理员": "admin",
}
ADMIN_UNKNOWN_PERSON = "没有找到「{name}」。"
ADMIN_UNKNOWN_ROLE = "没有「{role}」这个角色。可以用：居民、网格员、邻长、组长、志愿者、物业、社区、党支部、食堂、管理员。"
ADMIN_UNKNOWN_GRID = "没有「{grid}」。现有网格：{grids}"
ADMIN_UNKNOWN_BUILDING = "本小区没有「{building}」。"
ROLE_USAGE = "用法：设置角色 姓名 网格员 / 取消角色 姓名 网格员"
ROLE_ADDED = "已给{name}加上角色：{role}。"
ROLE_ALREADY = "{name}已经是{role}了。"
ROLE_REMOVED = "已取消{name}的角色：{role}。"
ROLE_NOT_HELD = "{name}没有{role}这个角色。"
ROLE_SELF = "不能取消自己的管理员角色。"
GRID_USAGE = "用法：加入网格 姓名 第一网格 / 移出网格 姓名 第一网格"
GRID_ADDED = "已把{name}加入{grid}（网格员）。"
GRID_ALREADY = "{name}已经在{grid}了。"
GRID_REMOVED = "已把{name}移出{grid}。"
GRID_NOT_IN = "{name}不在{grid}。"
MOVE_USAGE = "用法：划转楼栋 5栋 第一网格"
MOVE_DONE = "已把{building}从{old}划到{grid}。以后的上报由{workers}处理。"
BACKUP_USAGE = "用法：备岗 第一网格 陈刚（网格员请假时由备岗人员接收上报）；取消备岗 第一网格"
BACKUP_DONE = "{grid}的备岗人员：{name}。"
BACKUP_CLEARED = "已取消{grid}的备岗人员。"
LEAVE_USAGE = "用法：请假 李娜 至 12月8日 / 销假 李娜"
LEAVE_DONE = "已登记{name}请假至{until}。"
LEAVE_BACKUP = "期间{grids}的上报转给备岗人员{backup}。"
LEAVE_NO_BACKUP = (
    "（注意：{grids}没有备岗人员，期间上报会直接转到社区。可以用「备岗 网格 姓名」设置。）"
)
LEAVE_ENDED = "{name}已销假，恢复接收上报。"
LEAVE_NONE = "{name}没有在请假。"
LEAVE_PAST = "{until}已经过去了。"
GRIDS_HEADER = "网格设置："
GRIDS_LINE = "· {grid}：{buildings}；网格员 {workers}；备岗 {backup}"
CHANGES_HEADER = "最近的变更："
CHANGES_LINE = "{time} {who} {action}：{detail}"
CHANGE_ACTIONS = {
    "role_added": "设置角色",
    "role_removed": "取消角色",
    "grid_worker_added": "加入网格",
    "grid_worker_removed": "移出网格",
    "building_moved": "划转楼栋",
    "backup_set": "设置备岗",
    "backup_cleared": "取消备岗",
    "leave": "请假",
    "leave_ended": "销假",
    "household": "修改住户",
    "leader": "设置上级",
    "config": "按配置文件更新",
}
CHANGES_NONE = "还没有变更记录。"

# the 三长 network: visits and duty
VISIT_USAGE = "用法：走访 5栋1单元102 情况说明，例如：走访 5栋1单元102 身体好 需要助餐（写「上报 …」或「报餐 …」可直接代办）"
VISIT_UNKNOWN = "没有登记「{address}」这一户。"
VISIT_NOT_YOURS = "{address}不是您联系的住户（联系人：{lead}），不能记录走访。"
VISIT_DONE = "已记录走访 {address}（{members}{reason}）。"
VISIT_LEFT = "本周重点户还有{count}户未走访：{list}"
VISIT_ALL_DONE = "本周的重点户都走访过了，辛苦了！"
DUTY_HEADER = "【本周走访清单】{name}，您好："
DUTY_KEY = "重点户（每周至少一次）："
DUTY_QUARTER = "本季度还未走访的住户："
DUTY_LINE = "· {address} {members}{reason}{last}"
DUTY_LAST = "（上次走访 {time}）"
DUTY_NEVER = "（还没有走访记录）"
DUTY_NONE = "本周没有待走访的住户。"
DUTY_OVERDUE_UP = "【走访超期】{lead}上周没有走访以下重点户，请督促：\n{list}"
DUTY_OVERDUE_TWO = "【走访超期两周】{lead}已两周没有走访以下重点户，请社区关注：\n{list}"
DUTY_QUARTER_UP = "【季度走访未完成】{lead}上季度没有走访以下住户：\n{list}"
WELFARE_NO_VISIT = (
    "【关爱提醒】重点户 {address}（{members}{reason}）已两周没有走访记录，请尽快上门看看。"
)
WELFARE_NO_MEALS = "【关爱提醒】{name}（{address}）平时常在长者食堂报餐，已经{days}天没有报餐了，请联系确认老人是否安好。"
COVERAGE_HEADER = "本周重点户走访覆盖："
COVERAGE_LINE = "· {name}：{visited}/{total}"

# service orders (点单)
ORDER_USAGE = "用法：点单 服务 [楼栋单元门牌] [时间]，例如：点单 理发 5栋1单元102 周六上午。可点的服务：{services}"
ORDER_UNKNOWN = "没有「{service}」这项服务。可点的服务：{services}"
ORDER_PAST = "{day}已经过去了，请写一个将来的时间。"
ORDER_NO_ADDRESS = "请写上地址，例如：点单 {service} 5栋1单元102 周六上午"
ORDER_PLACED = "已收到点单 {number}（{service}{wanted}），已转给{provider}，确认后会私信告诉您。"
ORDER_ALERT = "【点单 {number}】{service}\n地址：{address}\n时间：{wanted}\n点单人：{requester}\n请在{deadline}前确认接单。"
ORDER_NO_SUCH = "没有找到点单 {number}。"
ORDER_NOT_YOURS = "点单 {number} 不是给您的。"
ORDER_ACKED = "已接单 {number}，完成后回复「办结 {number} 说明」。"
ORDER_ACKED_REQUESTER = "您的点单 {number}（{service}）已由{provider}接单。"
ORDER_DONE = "已办结 {number}，已通知点单人。"
ORDER_DONE_REQUESTER = "您的点单 {number}（{service}）已完成：{note}\n请评价：回复「满意 {number}」「基本满意 {number}」或「不满意 {number} 原因」。"
ORDER_OVERDUE = "【点单超时未接单 {number}】{service}（{address}），转给{provider}后{hours}小时无人接单，请协调。"
ORDER_REMIND = "【点单提醒 {number}】{service}（{address}）还没有接单，请尽快确认。"
ORDER_RATED = "感谢您的评价（{rating}）！"
ORDER_ALREADY = "点单 {number} 已经{status}了。"
HOUSE_USAGE = "用法：指派邻长 5栋1单元102 孙阿姨 / 重点户 5栋1单元102 独居老人 / 取消重点户 5栋1单元102 / 设置上级 孙阿姨 周组长"
HOUSE_ASSIGNED = "{address}由{lead}联系走访。"
HOUSE_KEY = "{address}已设为重点户（{reason}），每周走访。"
HOUSE_NOT_KEY = "{address}不再是重点户，每季度走访。"
HOUSE_UNKNOWN = (
    "没有登记「{address}」这一户，请核对地址（住户在配置文件的 [[households]] 中登记）。"
)
HOUSE_NOT_LEAD = "{name}不是邻长，请先「设置角色 {name} 邻长」。"
LEADER_CYCLE = "不能这样设置：上级会绕回本人（{chain}）。"
LEADER_SET = "{name}的上级：{leader}。"

# suggestions (建议)
SUGGEST_USAGE = "用法：建议 您的建议内容，例如：建议 小区东门晚上加装路灯"
SUGGEST_FILED = "已收到您的建议 {number}，已转给{who}，答复后会私信告诉您。"
SUGGEST_ALERT = "【居民建议 {number}】{name}：{text}\n答复请回复「答复 {number} 内容」。"
SUGGEST_ANSWER_USAGE = "用法：答复 J1 答复内容"
SUGGEST_NO_SUCH = "没有找到建议 {number}。"
SUGGEST_ANSWERED = "已答复 {number}，已告诉提建议的居民。"
SUGGEST_ANSWER_TO_RESIDENT = "您的建议 {number}（{text}）有答复了：{answer}（{who}）\n请评价：回复「满意 {number}」「基本满意 {number}」或「不满意 {number} 原因」。"

# proposals and votes (议事 / 表决)
PROPOSAL_USAGE = "用法：发起表决 范围 截止时间 规则 内容，例如：发起表决 3栋 12月10日 18:00 重大 加装电梯方案。范围：全小区、3栋、3栋2单元；规则：普通、重大，或自定「参与2/3 同意3/4」"
PROPOSAL_BAD_SCOPE = "看不懂范围「{scope}」：请写 全小区、3栋 或 3栋2单元。"
PROPOSAL_EMPTY_SCOPE = "{scope}没有登记的住户，无法表决。"
PROPOSAL_PAST = "截止时间 {time} 已经过去了。"
PROPOSAL_BAD_RULE = "看不懂规则「{rule}」：写 普通、重大，或「参与2/3 同意3/4」。"
PROPOSAL_OPENED = "已发起表决 {number}：{text}\n范围：{scope}（{households}户，{area}㎡）\n规则：{rule}\n截止：{deadline}"
PROPOSAL_POST = "【表决 {number}】{text}\n范围：{scope}（{households}户）\n规则：{rule}\n截止：{deadline}\n本范围的住户请私聊我回复「表决 {number} 同意」「表决 {number} 反对」或「表决 {number} 弃权」（每户一票，截止前可以改）。"
PROPOSAL_NEEDS_BACKING = (
    "已提出表决 {number}，需要{needed}位居民附议后才开始（其他居民回复「附议 {number}」）。"
)
PROPOSAL_BACKED = "已附议 {number}（{count}/{needed}）。"
PROPOSAL_BACKED_OPENED = "已附议 {number}（{count}/{needed}），附议人数已够，表决已开始。"
PROPOSAL_NOT_BACKING = "表决 {number} {status}，不再征集附议。"
PROPOSAL_BACKER_NOT_IN_SCOPE = "只有{scope}登记的住户成员可以附议 {number}。"
PROPOSAL_ALREADY_BACKED = "您已经附议过 {number} 了。"
PROPOSAL_NO_SUCH = "没有找到表决 {number}。"
PROPOSAL_NOT_OPEN = "表决 {number} 已{status}，不能再投票了。"
PROPOSAL_STATUS = {"backing": "在征集附议", "open": "进行中", "closed": "结束"}
VOTE_USAGE = "用法：表决 P1 同意（或 反对、弃权）"
VOTE_PROXY_USAGE = "用法：代表决 P1 5栋1单元102 同意 说明（邻长为没有手机的住户代投，需写明情况）"
VOTE_NOT_BOUND = "您还没有登记为住户成员，不能表决。请联系社区登记（或让邻长代为表决）。"
VOTE_OUT_OF_SCOPE = "您家（{address}）不在表决 {number} 的范围（{scope}）内。"
VOTE_CAST = "已记录您家（{address}）对 {number} 的表决：{choice}。"
VOTE_REPLACED = "已把您家（{address}）对 {number} 的表决从「{before}」改为「{choice}」。"
VOTE_UNCHANGED = "您家（{address}）对 {number} 的表决仍是「{choice}」，没有变化。"
VOTE_OVER_PROXY = "已记录您家（{address}）对 {number} 的表决：{choice}。{lead}此前代您家投的「{before}」已作废，以您本人的表决为准。"
VOTE_PROXY_SUPERSEDED = (
    "{address}的住户已自己表决 {number}，您此前的代投已作废，以住户本人的表决为准。"
)
VOTE_CHANGED_BY_MEMBER = "您家（{address}）对 {number} 的表决已由{name}从「{before}」改为「{choice}」（每户一票，以最后一次为准）。"
VOTE_PROXY_MEMBER_VOTED = (
    "{address}的住户已经自己表决过 {number}，不能再代为表决（代表决只用于没有自己表决的住户）。"
)
VOTE_PROXY_REPLACED = (
    "已把{address}对 {number} 的代投从「{before}」改为「{choice}」（代投，说明：{note}）。"
)
VOTE_PROXY_TO_HOUSEHOLD = "{lead}已代您家（{address}）表决 {number}：{choice}（说明：{note}）。如果这不是您家的意见，请私聊我回复「表决 {number} 同意」「反对」或「弃权」，以您本人的表决为准。"
VOTE_COUNTED = "计入"
VOTE_SUPERSEDED = "已被后来的表决替换"
VOTE_PROXY_NOT_LEAD = "{address}不是您联系的住户，不能代为表决。"
VOTE_PROXY_CAST = "已代{address}表决 {number}：{choice}（代投，说明：{note}）。"
VOTE_CHOICES = {"同意": "yes", "赞成": "yes", "反对": "no", "不同意": "no", "弃权": "abstain"}
VOTE_NAMES = {"yes": "同意", "no": "反对", "abstain": "弃权"}
VOTE_PROGRESS = "表决 {number}（{scope}）目前已有{voted}/{households}户参与（面积{area_voted}/{area}㎡），截止 {deadline}。"
VOTE_RESULT = "【表决结果 {number}】{text}\n参与：{voted}/{households}户（{pv}），面积{area_voted}/{area}㎡（{pa}）——{part_ok}\n同意：{yes}/{voted}户（{cy}），面积{area_yes}/{area_voted}㎡（{ca}）——{consent_ok}\n结论：{verdict}"
VOTE_OK = "达到"
VOTE_NOT_OK = "未达到"
VOTE_PASSED = "通过"
VOTE_FAILED = "未通过"
VOTE_RULES = {
    "ordinary": "普通事项（参与≥2/3户且≥2/3面积；同意过半）",
    "major": "重大事项（参与≥2/3户且≥2/3面积；同意≥3/4）",
}
VOTE_CUSTOM_RULE = "自定（参与≥{p}；同意{cmp}{c}）"

# personal data (我的信息)
MYDATA_HEADER = "机器人保存的您的信息："
MYDATA_NAME = "· 称呼：{name}"
MYDATA_ACCOUNTS = "· 账号：{accounts}"
MYDATA_ADDRESS = "· 住址：{address}"
MYDATA_PHONE = "· 电话：{phone}"
MYDATA_ROLES = "· 身份：{roles}"
MYDATA_HOUSEHOLD = "· 住户：{address}"
MYDATA_COUNTS = "· 上报{reports}件，报餐{meals}次，活动报名{rsvps}次，表决{votes}次"
MYDATA_NONE = "无"
MYDATA_DELETE_HINT = "如需删除，请发送「删除我的信息 确认」：您的称呼、账号、住址和电话将被删除，上报等记录匿名保留用于统计。"
MYDATA_CONFIRM = "删除后无法恢复。确定要删除，请发送「删除我的信息 确认」。"
MYDATA_DELETED = "已删除您的个人信息。您的上报等记录已匿名保留，仅用于统计。谢谢您！"
MYDATA_STAFF = "工作人员的信息请联系管理员在配置中修改，不能在这里删除。"
ANONYMOUS = "匿名居民"

# --- platform links (to admins, privately) ------------------------------------------------
WECHAT_DOWN_UNREACHABLE = (
    "微信已掉线：连不上微信网关，正在自动重连；期间的消息会排队，恢复后自动发出。"
)
WECHAT_DOWN_LOGGED_OUT = (
    "微信已掉线：网关上的微信账号退出了登录，需要重新扫码登录；期间的消息会排队，恢复后自动发出。"
)
WECHAT_DOWN_TOKEN = "微信已掉线：网关拒绝了机器人的令牌（{detail}），请检查 wechat.token。"
WECHAT_NEEDS_SCAN = "微信账号需要重新扫码登录（网关已连上，但微信退出了登录）。"
WECHAT_BACK = "微信已恢复在线（中断约{lasted}），排队的消息正在发出。"

# intake: dead letters (死信) and the chats served
DEAD_LETTERS_NONE = "没有待处理的死信。"
DEAD_LETTERS_HEADER = "无法解析或处理、已搁置的消息（{count}条，最新在前）："
DEAD_LETTER_LINE = "{label} {time} {platform} {stage}：{reason}（{ref}）"
DEAD_LETTER_STAGES = {"parse": "无法解析", "adapter": "无法转换", "handler": "处理出错"}
DEAD_LETTERS_MORE = "……另有{more}条。重放：「重放 D1」。"
DEAD_LETTERS_HINT = "重放：「重放 D1」（修复后再试）。"
REPLAY_USAGE = "用法：重放 D1"
REPLAY_UNKNOWN = "没有死信 {label}。"
REPLAY_ALREADY = "{label} 已经重放过了。"
REPLAY_STARTED = "正在重放 {label}……"
REPLAY_DONE = "{label} 已重放，处理成功。"
REPLAY_FAILED_AGAIN = "{label} 重放后仍然失败，已另存为 {new}：{reason}"
REPLAY_NO_ADAPTER = "{label} 来自 {platform}，该平台现在没有运行，无法重放。"
STRANGER_GROUP = (
    "您好，本机器人只为已登记的小区业主群服务，不在本群处理消息。如有需要，请联系社区工作人员。"
)
STRANGER_PRIVATE = (
    "您好，本机器人只为已登记小区的居民服务。请先在小区业主群里使用，或联系社区工作人员。"
)
STRANGER_GROUP_ADMIN = "【提醒】机器人在未登记的群里收到消息（{platform} 群 {chat_id}，发言人：{sender}），可能是被拉进了陌生群。机器人不会在该群处理任何消息。如需服务该群，请在配置的 [[groups]] 中加入它。"

# --- voice messages (handlers/voice.py) ---------------------------------------------------
VOICE_READ_BACK = "您说的是：「{text}」。回复「是」确认，或直接打字更正。"
VOICE_YES_BUTTON = "是"
VOICE_NO_BUTTON = "不是，取消"
VOICE_CANCELLED = "好的，这条语音不作处理。您可以再说一遍，或直接打字。"
VOICE_NO_COMMAND = "收到「{text}」，但没听出要办什么事。上报隐患请说「上报 几号楼 什么情况」，发送「帮助」查看可以做什么。"
VOICE_UNCLEAR = "抱歉，这条语音没听清。请靠近手机慢一点再说一遍，或直接打字。"
VOICE_TOO_LONG = "语音太长了，请分成几句短的说，或直接打字。"
VOICE_BUSY = "现在要听的语音有点多，请稍等一会儿再发，或直接打字。"
VOICE_DEAF = "抱歉，我暂时还听不了语音，请直接打字，例如：上报 3栋 楼道飞线充电。"
ALERT_VOICE_MARK = "\n（内容由居民的语音转写，本人已确认；原声随工单保存）"
