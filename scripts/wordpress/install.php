<?php
// Headless WordPress install for the tests (there is no wp-cli in Debian): the site, pretty
// permalinks, and an application password for the administrator. Run by ../wordpress.sh:
//   NASHR_WP_PORT=8089 NASHR_WP_SITE=en php install.php <docroot>
// Prints the site's address and credentials as shell variables.
$docroot = $argv[1];
$port = (int) getenv('NASHR_WP_PORT');
$site = getenv('NASHR_WP_SITE');
$_SERVER['HTTP_HOST'] = "127.0.0.1:$port";
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['SERVER_PORT'] = $port;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['HTTPS'] = '';
define('WP_INSTALLING', true);
require $docroot . '/wp-load.php';
// There is no mail server: the "new site" e-mail must not be attempted.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install("nashr test ($site)", 'admin', "admin-$site@example.invalid", false, '', wp_generate_password(32, false));
if (is_wp_error($result)) {
    fwrite(STDERR, 'wp_install failed: ' . $result->get_error_message() . "\n");
    exit(1);
}
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);
update_option('timezone_string', 'UTC');
$created = WP_Application_Passwords::create_new_application_password($result['user_id'], array('name' => 'nashr-tests'));
if (is_wp_error($created)) {
    fwrite(STDERR, 'application password: ' . $created->get_error_message() . "\n");
    exit(1);
}
echo "NASHR_WP_URL=http://127.0.0.1:$port/\n";
echo "NASHR_WP_USER=admin\n";
echo "NASHR_WP_PASSWORD=" . $created[0] . "\n";
