#version 330 core
// The R32F texture holds colour positions of the visible tile (the scale is applied on the CPU with
// the pooling); the colour map is applied here, so a new map costs no re-upload. The LUT is the
// same 256-entry table the QPainter path uses.
in vec2 uv;
out vec4 fragColor;

uniform sampler2D values;
uniform sampler2D lut;
uniform float valueMin;
uniform float valueMax;

void main()
{
    float v = texture(values, uv).r;
    float t = clamp((v - valueMin) / max(valueMax - valueMin, 1e-12), 0.0, 1.0);
    // Sample LUT texel centres so that t = 0 and t = 1 hit the first and last entries exactly.
    fragColor = vec4(texture(lut, vec2((t * 255.0 + 0.5) / 256.0, 0.5)).rgb, 1.0);
}
