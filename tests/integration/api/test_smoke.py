def test_create_and_read_system(stack):
    # given / when
    created = stack.call("POST", "/systems", {"id": "shop", "name": "Shop"})
    # then
    assert created.status == 201, created.body
    read = stack.call("GET", "/systems/shop")
    assert read.status == 200, read.body
    assert read.body["name"] == "Shop"
