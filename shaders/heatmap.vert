#version 330 core
// A unit quad stretched over the plot rectangle (the viewport does the placement).
layout(location = 0) in vec2 position;
out vec2 uv;

void main()
{
    // Row 0 (the first query) is drawn at the top, as in every attention figure.
    uv = vec2(position.x, 1.0 - position.y);
    gl_Position = vec4(position * 2.0 - 1.0, 0.0, 1.0);
}
