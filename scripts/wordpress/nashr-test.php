<?php
/*
 * Plugin Name: nashr test settings
 * Description: What the clinic's real site gets from plugins: SVG uploads (as the Safe SVG
 * plugin allows them). Installed by scripts/wordpress.sh into the test WordPress only.
 */
add_filter('upload_mimes', function ($mimes) {
    $mimes['svg'] = 'image/svg+xml';
    return $mimes;
});
add_filter('wp_check_filetype_and_ext', function ($data, $file, $filename, $mimes) {
    if (strtolower(pathinfo($filename, PATHINFO_EXTENSION)) === 'svg') {
        return array('ext' => 'svg', 'type' => 'image/svg+xml', 'proper_filename' => $data['proper_filename']);
    }
    return $data;
}, 10, 4);
