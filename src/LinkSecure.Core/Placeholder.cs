namespace LinkSecure.Core;
