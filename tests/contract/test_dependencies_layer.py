"""One source of truth for runtime dependencies: pyproject.toml. The layer's requirements.txt is generated
from it, and every function gets its dependencies from that layer alone."""

from layers.requirements import LAYER_REQUIREMENTS, render_requirements, runtime_dependencies
from local.template import Template, load_template_document


def test_layer_requirements_match_pyproject_dependencies():
    # given pyproject.toml's [project].dependencies
    expected = render_requirements()
    # when we read the committed requirements.txt of the layer
    committed = LAYER_REQUIREMENTS.read_text("utf-8")
    # then it is what `make requirements` generates from them
    assert committed == expected, "run `make requirements` and commit layers/dependencies/requirements.txt"
    assert runtime_dependencies()


def test_every_function_uses_the_dependencies_layer_and_no_requirements_of_its_own():
    # given the template's layer and functions
    document = load_template_document()
    (layer_id,) = [
        logical_id
        for logical_id, resource in document["Resources"].items()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    ]
    layer = document["Resources"][layer_id]
    # then the layer is built by pip from the generated requirements, and every function uses it
    assert layer["Metadata"]["BuildMethod"] == "python3.12"
    assert layer["Properties"]["ContentUri"].rstrip("/") == str(
        LAYER_REQUIREMENTS.parent.relative_to(LAYER_REQUIREMENTS.parents[2])
    )
    assert document["Globals"]["Function"]["Layers"] == [{"Ref": layer_id}]
    for function in Template.load().functions.values():
        assert "Layers" not in document["Resources"][function.logical_id]["Properties"], function.logical_id
    code_uri = LAYER_REQUIREMENTS.parents[2] / document["Globals"]["Function"]["CodeUri"]
    assert not (code_uri / "requirements.txt").exists()
