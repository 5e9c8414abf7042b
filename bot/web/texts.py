"""What the workbench says outside its templates (Chinese first)."""

CODE_MESSAGE = (
    "【社区工作台】您的登录验证码：{code}\n{minutes}分钟内有效，只能使用一次。"
    "如果不是您本人在登录，请忽略本消息。"
)
CODE_SENT = "如果您是本社区的工作人员，验证码已发送到您的私聊，5分钟内有效。没有收到？请稍后再试。"
CODE_WRONG = "验证码不正确、已过期或已使用，请重新获取。"
NAME_MISSING = "请填写您的姓名。"
LOGGED_OUT = "您已退出社区工作台。"
AUDIT_LOGIN = "网页工作台登录"
AUDIT_LOGIN_LINK = "网页工作台登录（私聊中的登录链接）"
LINK_WRONG = "登录链接无效、已过期或已使用，请在私聊中重新发送「登录」。"
AUDIT_ACTION = "网页工作台：{command}"
CSRF_REFUSED = "页面已过期或请求来源不明，请刷新页面后重试。"
FORBIDDEN = "您的角色不能查看或操作此页面。"
NOT_FOUND = "没有找到这个页面或记录。"
TEXT_NEEDED = "请填写内容。"
BAD_MONTH = "月份格式不对，已显示本月。"
CONFIRM_NEEDED = "请先勾选确认。"
CHOICE_NEEDED = "请选择要修改的内容。"
PERSON_NEEDED = "请填写要修改的人员姓名（不含空格）。"
PHOTO_WECHAT = (
    "居民在微信中附了照片。系统只记下了微信消息的编号，没有保存图片，网页上不能显示；"
    "请在群聊中查看。"
)
PHOTO_CONSOLE = "演示控制台中的照片（只有占位编号，没有图片内容）。"
PHOTO_OFFLINE = (
    "居民在{platform}中附了照片。系统只记下了{platform}的文件编号，"
    "{platform}没有连接时网页上不能显示；请在聊天中查看。"
)
PHOTO_UNAVAILABLE = "照片暂时取不到，请稍后再试或在聊天中查看。"
