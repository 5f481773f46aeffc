// Stylesheets are plain files that Vite bundles; importing one has no value.
declare module '*.css';
