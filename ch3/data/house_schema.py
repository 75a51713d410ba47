"""3.16: the schema of the Kaggle house-price CSVs, as data (checked by ch3.data.kaggle_house).

Both files have `Id` (unique positive integers, also across the two files), then the same 79
feature columns in this order; the train file ends with `SalePrice` (a positive number in every
row), the test file has none. Kinds and descriptions follow Kaggle's data_description.txt for
"House Prices: Advanced Regression Techniques":

  numeric      a number (areas in square feet, counts, years, ratings 1-10, a month, dollars);
               none of the data set's values is negative, so a negative one is refused.
  categorical  a text code, e.g. Street = Grvl | Pave; any text is accepted (a new code makes a
               new one-hot column, as in the book).

MSSubClass (type of dwelling: 20 = 1-story 1946 & newer, ..., 190 = 2 family conversion) is a
category coded as a number. The book's preprocessing standardizes every column pandas reads as
numbers, MSSubClass included, and its 331 (330 under pandas 2) features depend on that, so the
schema lists it as numeric: a value must be a number, and it is standardized like the book does.
OverallQual and OverallCond (ratings 1-10) are numeric for the same reason.

Missing values (an empty cell, "NA" or any other string pandas reads as missing) are allowed only
in the columns where the data set has them:
  MISSING_MEANS_NONE  the description says NA means "no such thing" (Alley: no alley access,
                      PoolQC: no pool, ...); the book's one-hot encoding gives NA its own
                      `_nan` column, so "none" stays a category of its own.
  MISSING_UNKNOWN     a value not recorded for a few houses (e.g. LotFrontage in 486 of 2919
                      rows, MSZoning in 4 test rows); the book fills numeric ones with the
                      mean (0 after standardization) and gives categorical ones the `_nan`
                      column. MasVnrType is here because pandas >= 2 reads its real category
                      "None" (no masonry veneer) as missing (see ch3.data.kaggle_house).
Every other feature column must be present in every row; so must Id and SalePrice.
"""

ID, LABEL = 'Id', 'SalePrice'
NUMERIC, CATEGORICAL = 'numeric', 'categorical'

# (column, kind) in the files' order; the comment gives the description's meaning.
FEATURES = (
    ('MSSubClass', NUMERIC),        # type of dwelling, coded 20..190 (see above)
    ('MSZoning', CATEGORICAL),      # general zoning classification
    ('LotFrontage', NUMERIC),       # linear feet of street connected to the property
    ('LotArea', NUMERIC),           # lot size in square feet
    ('Street', CATEGORICAL),        # type of road access
    ('Alley', CATEGORICAL),         # type of alley access
    ('LotShape', CATEGORICAL),
    ('LandContour', CATEGORICAL),
    ('Utilities', CATEGORICAL),
    ('LotConfig', CATEGORICAL),
    ('LandSlope', CATEGORICAL),
    ('Neighborhood', CATEGORICAL),
    ('Condition1', CATEGORICAL),
    ('Condition2', CATEGORICAL),
    ('BldgType', CATEGORICAL),
    ('HouseStyle', CATEGORICAL),
    ('OverallQual', NUMERIC),       # overall material and finish, 1-10
    ('OverallCond', NUMERIC),       # overall condition, 1-10
    ('YearBuilt', NUMERIC),
    ('YearRemodAdd', NUMERIC),
    ('RoofStyle', CATEGORICAL),
    ('RoofMatl', CATEGORICAL),
    ('Exterior1st', CATEGORICAL),
    ('Exterior2nd', CATEGORICAL),
    ('MasVnrType', CATEGORICAL),    # masonry veneer type; "None" is a category
    ('MasVnrArea', NUMERIC),
    ('ExterQual', CATEGORICAL),
    ('ExterCond', CATEGORICAL),
    ('Foundation', CATEGORICAL),
    ('BsmtQual', CATEGORICAL),
    ('BsmtCond', CATEGORICAL),
    ('BsmtExposure', CATEGORICAL),
    ('BsmtFinType1', CATEGORICAL),
    ('BsmtFinSF1', NUMERIC),
    ('BsmtFinType2', CATEGORICAL),
    ('BsmtFinSF2', NUMERIC),
    ('BsmtUnfSF', NUMERIC),
    ('TotalBsmtSF', NUMERIC),
    ('Heating', CATEGORICAL),
    ('HeatingQC', CATEGORICAL),
    ('CentralAir', CATEGORICAL),
    ('Electrical', CATEGORICAL),
    ('1stFlrSF', NUMERIC),
    ('2ndFlrSF', NUMERIC),
    ('LowQualFinSF', NUMERIC),
    ('GrLivArea', NUMERIC),
    ('BsmtFullBath', NUMERIC),
    ('BsmtHalfBath', NUMERIC),
    ('FullBath', NUMERIC),
    ('HalfBath', NUMERIC),
    ('BedroomAbvGr', NUMERIC),
    ('KitchenAbvGr', NUMERIC),
    ('KitchenQual', CATEGORICAL),
    ('TotRmsAbvGrd', NUMERIC),
    ('Functional', CATEGORICAL),
    ('Fireplaces', NUMERIC),
    ('FireplaceQu', CATEGORICAL),
    ('GarageType', CATEGORICAL),
    ('GarageYrBlt', NUMERIC),
    ('GarageFinish', CATEGORICAL),
    ('GarageCars', NUMERIC),
    ('GarageArea', NUMERIC),
    ('GarageQual', CATEGORICAL),
    ('GarageCond', CATEGORICAL),
    ('PavedDrive', CATEGORICAL),
    ('WoodDeckSF', NUMERIC),
    ('OpenPorchSF', NUMERIC),
    ('EnclosedPorch', NUMERIC),
    ('3SsnPorch', NUMERIC),
    ('ScreenPorch', NUMERIC),
    ('PoolArea', NUMERIC),
    ('PoolQC', CATEGORICAL),
    ('Fence', CATEGORICAL),
    ('MiscFeature', CATEGORICAL),
    ('MiscVal', NUMERIC),           # dollar value of the miscellaneous feature
    ('MoSold', NUMERIC),
    ('YrSold', NUMERIC),
    ('SaleType', CATEGORICAL),
    ('SaleCondition', CATEGORICAL),
)

MISSING_MEANS_NONE = frozenset((
    'Alley', 'BsmtQual', 'BsmtCond', 'BsmtExposure', 'BsmtFinType1', 'BsmtFinType2',
    'FireplaceQu', 'GarageType', 'GarageFinish', 'GarageQual', 'GarageCond', 'PoolQC', 'Fence',
    'MiscFeature'))
MISSING_UNKNOWN = frozenset((
    'MSZoning', 'Utilities', 'Exterior1st', 'Exterior2nd', 'MasVnrType', 'Electrical',
    'KitchenQual', 'Functional', 'SaleType',
    'LotFrontage', 'MasVnrArea', 'BsmtFinSF1', 'BsmtFinSF2', 'BsmtUnfSF', 'TotalBsmtSF',
    'BsmtFullBath', 'BsmtHalfBath', 'GarageYrBlt', 'GarageCars', 'GarageArea'))

FEATURE_NAMES = tuple(name for name, _ in FEATURES)
KIND = dict(FEATURES)
NUMERIC_FEATURES = tuple(name for name, kind in FEATURES if kind == NUMERIC)
CATEGORICAL_FEATURES = tuple(name for name, kind in FEATURES if kind == CATEGORICAL)
MAY_BE_MISSING = MISSING_MEANS_NONE | MISSING_UNKNOWN


def columns(train):
    """3.16: the column names a train (train=True) or test file has, in order."""
    return (ID,) + FEATURE_NAMES + ((LABEL,) if train else ())
