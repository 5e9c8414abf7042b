"""The built-in fire-safety notices a schedule can rotate through (消防轮播).

Placeholders: {社区} the community's name, {日期} the date, {星期} the weekday."""

LIBRARY: tuple[tuple[str, str], ...] = (
    (
        "飞线充电",
        "【消防安全提醒】{社区}的居民朋友们：电动自行车严禁“飞线充电”——不要从窗户、楼道私拉电线，"
        "不要用插线板给电瓶充电。请到小区集中充电棚充电，充满及时断电。\n{日期}",
    ),
    (
        "电动车进楼",
        "【消防安全提醒】电动自行车不进楼道、不进电梯、不进家门！电瓶起火几秒就会产生大量有毒浓烟，"
        "楼道就是逃生通道。请大家把车停到{社区}指定的停车棚。\n{日期}",
    ),
    (
        "楼道堆物",
        "【消防安全提醒】楼道、消防通道是生命通道。请清理楼道里的纸箱、旧家具和杂物，"
        "不要占用安全出口。发现堆物可以在群里发「上报 楼栋 楼道堆物」。\n{日期}",
    ),
    (
        "冬季用电",
        "【冬季用电提醒】天冷取暖，电暖器、电热毯不要长时间通电，不要靠近被褥和窗帘，"
        "睡觉和出门前请断电；不要私拉乱接电线，大功率电器不要共用一个插座。\n{日期}",
    ),
    (
        "燃气",
        "【燃气安全提醒】用气时不离人，用完关好阀门；闻到燃气味时：关阀门、开窗通风，"
        "不要开关电器、不要打电话，到室外再拨打燃气抢修电话。\n{日期}",
    ),
    (
        "春节烟花爆竹",
        "【春节安全提醒】{社区}范围内请遵守烟花爆竹燃放规定：不在楼道、阳台、窗口燃放，"
        "不往垃圾桶里扔未熄灭的烟头和鞭炮。祝大家平安过年！\n{日期} {星期}",
    ),
)

# notices for a season only, by month (others all year): no 春节 reminder in July
SEASONS: dict[str, frozenset[int]] = {
    "冬季用电": frozenset({11, 12, 1, 2, 3}),
    "春节烟花爆竹": frozenset({1, 2}),
}


def in_season_after(rotation: int, month: int) -> int:
    """How many places past `rotation` the next notice in season for `month` lies (0: the
    one at `rotation`)."""
    for step in range(len(LIBRARY)):
        name = LIBRARY[(rotation + step) % len(LIBRARY)][0]
        if month in SEASONS.get(name, frozenset(range(1, 13))):
            return step
    return 0


WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
