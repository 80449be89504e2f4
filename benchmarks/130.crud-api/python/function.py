"""130.crud-api: serve a list of shopping-cart requests against a NoSQL table."""

import json

import faaslab_nosql
import faaslab_storage

TABLE = "shopping_cart"


def serve(table, request, m):
    route = request["route"]
    if route == "PUT /cart":
        item = request["body"]
        with m.phase("upload"):
            table.put(item["cart_id"], item["product_id"], item)
        m.count("upload", json.dumps(item))
        return {"stored": item["product_id"]}
    if route == "GET /cart/{id}":
        with m.phase("download"):
            item = table.get(request["path"]["cart_id"], request["path"]["product_id"])
        m.count("download", json.dumps(item))
        return item
    if route == "GET /cart":
        with m.phase("download"):
            items = table.query(request["path"]["cart_id"])
        m.count("download", json.dumps(items))
        with m.phase("compute"):
            total = sum(i["price_cents"] * i["quantity"] for i in items)
        return {"items": len(items), "total_cents": total}
    raise ValueError(f"unknown route {route!r}")


def handler(event):
    m = faaslab_storage.Measurement()
    table = faaslab_nosql.get().table(TABLE)
    replies = [serve(table, r, m) for r in event["requests"]]
    return {"replies": replies, "measurement": m.as_dict()}
