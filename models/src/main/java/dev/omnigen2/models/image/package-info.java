/**
 * Image input: {@link dev.omnigen2.models.image.ImageLoader} (file → 8-bit RGB with EXIF orientation, as
 * {@code Image.open().convert("RGB")} + {@code exif_transpose}), {@link dev.omnigen2.models.image.PillowResize}
 * (Pillow's fixed-point BICUBIC / LANCZOS, bit-exact), {@link dev.omnigen2.models.image.QwenImageProcessor}
 * (Qwen2-VL {@code pixel_values} / {@code image_grid_thw}) and {@link dev.omnigen2.models.image.VaeImageProcessor}
 * (OmniGen2's VAE-path resize and [−1, 1] tensor).
 */
package dev.omnigen2.models.image;
