// Mantine's PostCSS preset: rem()/em() helpers and light-dark() for the console's own CSS.
module.exports = {
  plugins: {
    'postcss-preset-mantine': {},
  },
};
