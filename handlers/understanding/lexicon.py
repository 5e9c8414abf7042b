"""The built-in vocabulary: concepts (synonym sets of what residents name and what happens
to it) and the categories as weighted combinations of concepts. The config's
[reports.concepts] adds words to a concept or new concepts; [[reports.categories]] with
`rules` replaces the categories (see README, "Categories")."""

from __future__ import annotations

from collections.abc import Mapping

# A concept is any of its words appearing in the (normalised, simplified) text.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "电动车": (
        "电动车",
        "电瓶车",
        "电驴",
        "小电驴",
        "电单车",
        "三轮车",
        "电动自行车",
        "电动三轮",
        "电摩",
        "电动摩托",
        "电平车",
        "电瓶",
        "电池",
        "ebike",
        "e-bike",
        "scooter",
    ),
    "电线": (
        "电线",
        "插线板",
        "接线板",
        "排插",
        "插排",
        "拖线板",
        "延长线",
        "电源线",
        "线",
    ),
    "拉线": ("拉线", "拉电线", "私拉", "拉了", "吊", "垂", "挂", "拖", "伸出", "拉到", "拉下"),
    "飞线": ("飞线",),
    "充电": ("充电", "冲电", "充电瓶", "charging", "charge"),
    "楼内": (
        "楼道",
        "楼到",
        "楼梯",
        "走廊",
        "过道",
        "大厅",
        "门口",
        "上楼",
        "进楼",
        "家里",
        "回家",
        "入户",
        "单元门",
        "电梯口",
        "五楼",
        "hallway",
        "corridor",
    ),
    "进入": ("推进", "推", "停在", "停着", "停了", "停", "放", "进", "带上", "搬", "坐电梯"),
    "电梯": ("电梯", "电悌", "elevator", "lift"),
    "故障": (
        "坏",
        "不动",
        "卡",
        "停运",
        "困",
        "异响",
        "失灵",
        "关不上",
        "不亮",
        "没反应",
        "夹",
        "乱跑",
        "不好使",
        "故障",
        "碎",
        "stuck",
        "broken",
    ),
    "消防通道": (
        "消防通道",
        "消防车道",
        "安全出口",
        "安全通道",
        "逃生通道",
        "疏散通道",
        "通道",
    ),
    "占用": ("堵", "占", "停", "锁", "焊死", "摆摊", "堆", "挡"),
    "杂物": (
        "杂物",
        "纸箱",
        "纸板",
        "泡沫箱",
        "旧家具",
        "沙发",
        "装修垃圾",
        "垃圾",
        "旧报纸",
        "瓶子",
        "柜子",
        "堆物",
    ),
    "堆放": ("堆", "放", "堆积", "堆满", "摆"),
    "电器": ("电线", "电箱", "配电箱", "电表箱", "插座", "电闸", "开关", "电路"),
    "电气问题": (
        "老化",
        "破",
        "裸露",
        "露在外面",
        "跳闸",
        "跳",
        "漏电",
        "麻手",
        "嗡嗡",
        "乱搭乱接",
        "火花",
        "冒烟",
        "烧焦",
        "短路",
        "坏",
    ),
    "燃气": (
        "燃气",
        "煤气",
        "天然气",
        "液化气",
        "燃气表",
        "燃气管",
        "煤气罐",
        "液化气罐",
        "gas",
    ),
    "燃气问题": ("漏", "泄漏", "味", "嘶嘶", "生锈", "拆", "罐", "放", "堆", "smell"),
    "消防设施": (
        "灭火器",
        "消防栓",
        "消火栓",
        "烟感",
        "喷淋",
        "应急灯",
        "消防设施",
        "消防箱",
        "疏散指示",
    ),
    "抛物": (
        "高空抛物",
        "抛物",
        "往下扔",
        "扔东西",
        "扔下来",
        "扔垃圾",
        "楼上扔",
        "掉下来",
        "砸",
        "高空扔",
        "楼下扔",
    ),
}

# name → {rule: weight}; a rule is concepts (or literal words) joined by +, all present
CATEGORY_RULES: dict[str, dict[str, float]] = {
    "飞线充电": {
        "飞线": 5,
        "电线+充电": 4.5,
        "拉线+充电": 4,
        "电线+电动车": 4,
        "拉线+电动车+电线": 5,
    },
    "电动车进楼": {
        "电动车+电梯": 4,
        "电动车+楼内": 3.5,
        "电动车+进入": 2.5,
        "电动车+充电": 2,
    },
    "消防通道占用": {"消防通道+占用": 4, "消防通道": 2.5},
    "楼道堆物": {"杂物+楼内": 3.5, "杂物": 2.5, "堆放+楼内": 2},
    "电线老化": {"电器+电气问题": 3.5, "跳闸": 3, "漏电": 3, "电器": 1.5},
    "燃气隐患": {"燃气+燃气问题": 3.5, "燃气": 2.5, "漏气": 3},
    "消防设施损坏": {"消防设施": 3.5},
    "高空抛物": {"抛物": 4},
    "电梯故障": {"电梯+故障": 3.5, "电梯": 1.5},
}

# a runner-up this close to the winner (ratio of scores) is worth telling or asking about
CLOSE = 0.8


def merged_concepts(extra: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The built-in concepts with the config's words added (a new name is a new concept)."""
    out = dict(CONCEPTS)
    for name, words in extra.items():
        out[name] = tuple(dict.fromkeys((*out.get(name, ()), *words)))
    return out
