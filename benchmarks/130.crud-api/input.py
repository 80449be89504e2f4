"""Inputs and output validation of 130.crud-api.

The payload is a list of API requests on one cart (`PUT /cart` an item, `GET
/cart/<product>` one item, `GET /cart` the cart's total); the function serves them
against the NoSQL store the platform provides (faaslab_nosql: the run's local
store, or Redis — docs/benchmarks.md).
"""

import random

SIZES = {"test": 5, "small": 50, "large": 500}
PRODUCTS = ["lamp", "desk", "chair", "mug", "cable", "book", "plant", "pen"]


def generate_input(size, seed):
    rng = random.Random(seed)
    cart = f"cart-{size}-{seed}"
    requests = []
    for i in range(SIZES[size]):
        item = {
            "product_id": f"p{i:05d}",
            "name": rng.choice(PRODUCTS),
            "price_cents": rng.randint(100, 100_000),
            "quantity": rng.randint(1, 5),
        }
        requests.append({"route": "PUT /cart", "body": {"cart_id": cart, **item}})
    for i in range(0, SIZES[size], max(1, SIZES[size] // 5)):
        requests.append({"route": "GET /cart/{id}", "path": {"cart_id": cart, "product_id": f"p{i:05d}"}})
    requests.append({"route": "GET /cart", "path": {"cart_id": cart}})
    return {"requests": requests}


def expected(payload):
    items = {}
    replies = []
    for r in payload["requests"]:
        if r["route"] == "PUT /cart":
            item = dict(r["body"])
            items[item["product_id"]] = item
            replies.append({"stored": item["product_id"]})
        elif r["route"] == "GET /cart/{id}":
            replies.append(items.get(r["path"]["product_id"]))
        else:
            total = sum(i["price_cents"] * i["quantity"] for i in items.values())
            replies.append({"items": len(items), "total_cents": total})
    return replies


def validate_output(payload, output):
    if not isinstance(output, dict) or not isinstance(output.get("replies"), list):
        return False, "output has no `replies` list"
    want = expected(payload)
    got = output["replies"]
    if len(got) != len(want):
        return False, f"{len(got)} replies to {len(want)} requests"
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return False, f"reply {i} ({payload['requests'][i]['route']}) is {g}, expected {w}"
    return True, "ok"
